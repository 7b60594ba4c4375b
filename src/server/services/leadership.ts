// Leadership by PostgreSQL session advisory locks, the one mechanism for every singleton in Plenum (the scheduler,
// rollups, partitions, alerts, the simulated world) and for an instance's own liveness. Locks live on one dedicated
// connection: when the process dies its connection closes, PostgreSQL drops every lock it held, and a standby that
// keeps trying takes over on its next attempt. A lost connection means lost locks: the holder stops at once.

import pg from 'pg';
import { preparedQuery } from '../db/statement-params';

/** A lock key in the bigint form of pg_advisory_lock; (class << 32) | id for keys made of two parts. */
export type LockKey = bigint;

export function lockKey(lockClass: number, id: number): LockKey {
  return (BigInt(lockClass) << 32n) | BigInt(id >>> 0);
}

/** One connection holding any number of session advisory locks. */
export class AdvisoryLockSession {
  private client: pg.Client | null = null;
  private held = new Set<LockKey>();

  constructor(
    private readonly url: string,
    private readonly applicationName = 'plenum-leader',
  ) {}

  /** The server process id of the lock connection (tests end it to simulate a crash). */
  backendPid(): number | undefined {
    return (this.client as unknown as { processID?: number } | null)?.processID;
  }

  holds(key: LockKey): boolean {
    return this.held.has(key);
  }

  private drop(): void {
    const client = this.client;
    this.client = null;
    this.held.clear();
    client?.end().catch(() => {});
  }

  private async connection(): Promise<pg.Client> {
    if (this.client) return this.client;
    const client = new pg.Client({ connectionString: this.url, application_name: this.applicationName });
    client.on('error', () => this.drop());
    client.on('end', () => {
      if (this.client === client) this.drop();
    });
    await client.connect();
    this.client = client;
    return client;
  }

  /**
   * Re-reads which locks this session really holds (the server may have ended the session, or another process
   * terminated it). Returns the keys held; a connection that fails holds none.
   */
  async refresh(): Promise<ReadonlySet<LockKey>> {
    try {
      const client = await this.connection();
      const { rows } = await preparedQuery<{ key: string }>(
        client,
        `SELECT ((classid::bigint << 32) | objid::bigint)::text AS key FROM pg_locks
          WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted AND objsubid = 1`,
      );
      this.held = new Set(rows.map((r) => BigInt(r.key)));
    } catch {
      this.drop();
    }
    return this.held;
  }

  /** Takes the lock if free; true while this session holds it. */
  async tryAcquire(key: LockKey): Promise<boolean> {
    if (this.held.has(key)) return true;
    try {
      const client = await this.connection();
      const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [key.toString()]);
      if (rows[0]?.ok === true) this.held.add(key);
    } catch {
      this.drop();
    }
    return this.held.has(key);
  }

  /** Gives one lock up (a graceful hand-over: a standby takes it on its next try). */
  async release(key: LockKey): Promise<void> {
    if (!this.held.delete(key) || !this.client) return;
    await this.client.query('SELECT pg_advisory_unlock($1::bigint)', [key.toString()]).catch(() => this.drop());
  }

  /** Ends the connection: every lock goes with it. */
  async close(): Promise<void> {
    const client = this.client;
    this.client = null;
    this.held.clear();
    if (client) await client.end().catch(() => {});
  }
}

/** One singleton on its own session: `tryLead` each tick, lead while it answers true. */
export class Leadership {
  private readonly session: AdvisoryLockSession;
  private leading = false;

  constructor(
    url: string,
    private readonly key: LockKey,
    applicationName = 'plenum-leader',
  ) {
    this.session = new AdvisoryLockSession(url, applicationName);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  backendPid(): number | undefined {
    return this.session.backendPid();
  }

  /** True while this process holds the lock; tries to take it when it does not. */
  async tryLead(): Promise<boolean> {
    // Still connected and still holding it? (The server may have ended the session.)
    if (this.leading) await this.session.refresh();
    this.leading = await this.session.tryAcquire(this.key);
    return this.leading;
  }

  async release(): Promise<void> {
    this.leading = false;
    await this.session.close();
  }
}
