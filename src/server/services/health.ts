import type pg from 'pg';
import { SINGLETON_ROLES } from '../config';
import { migrationState } from '../db/migrate';
import { liveInstances } from './instances';

const STALE_AFTER_MS = 15_000;

export type Health = {
  status: 'ok' | 'degraded' | 'down';
  checkedAt: string;
  database: { status: 'up' | 'down'; serverVersion?: string; latencyMs?: number; error?: string };
  migrations?: { applied: number; latest: string | null; pending: number };
  workers: { name: string; instance: string; status: string; detail: string; heartbeatAt: string; stale: boolean }[];
  /** Telemetry samples refused on the way in, by reason (totals of every process; see telemetry_input_drops). */
  telemetryDrops?: TelemetryDrop[];
  /** The live instances (services/instances.ts), oldest first: roles each holds, and its scrape shard. */
  instances?: HealthInstance[];
  /** Each singleton role some live instance takes part in, and the instance holding it (null: none, degraded). */
  roles?: { role: string; holder: string | null }[];
};

export type HealthInstance = {
  id: string;
  hostname: string;
  pid: number;
  version: string;
  rolesRequested: string[];
  rolesHeld: string[];
  /** Scrape targets in its rendezvous shard; null without the scrape role. */
  shardSize: number | null;
  /** Endpoints it advertises (the simulated world's, per scheme). */
  endpoints: Record<string, Record<string, string>>;
  startedAt: string;
  heartbeatAt: string;
  leaseExpiresAt: string;
};

export type TelemetryDrop = { reason: string; samples: number; lastAt: string };

/** Samples refused by the parsers' input limits (NUL, invalid UTF-8, over-long…) or isolated by a flush, by reason. */
export async function telemetryDrops(pool: pg.Pool): Promise<TelemetryDrop[]> {
  const rows = await pool.query<{ reason: string; samples: string; last_at: Date }>('SELECT reason, samples, last_at FROM telemetry_input_drops ORDER BY reason');
  return rows.rows.map((r) => ({ reason: r.reason, samples: Number(r.samples), lastAt: r.last_at.toISOString() }));
}

/** What /api/health and `plenum health` report. Never throws: a down database is a health state. */
export async function getHealth(pool: pg.Pool): Promise<Health> {
  const checkedAt = new Date();
  const started = performance.now();
  try {
    const version = await pool.query<{ version: string }>('SHOW server_version');
    const latencyMs = Math.round((performance.now() - started) * 10) / 10;
    const migrations = await migrationState(pool);
    const workerRows = await pool.query<{ name: string; instance: string; status: string; detail: string; heartbeat_at: Date }>(
      `SELECT name, instance, status, detail, heartbeat_at FROM worker_heartbeats
       WHERE status <> 'stopped' OR heartbeat_at > now() - interval '1 hour' ORDER BY name, instance`,
    );
    const workers = workerRows.rows.map((row) => ({
      name: row.name,
      instance: row.instance,
      status: row.status,
      detail: row.detail,
      heartbeatAt: row.heartbeat_at.toISOString(),
      stale: row.status !== 'stopped' && checkedAt.getTime() - row.heartbeat_at.getTime() > STALE_AFTER_MS,
    }));
    // Before migrations run the tables may not exist yet.
    const drops = migrations.pending === 0 ? await telemetryDrops(pool) : [];
    const instances: HealthInstance[] = (migrations.pending === 0 ? await liveInstances(pool) : []).map((i) => ({
      id: i.id,
      hostname: i.hostname,
      pid: i.pid,
      version: i.version,
      rolesRequested: i.rolesRequested,
      rolesHeld: i.rolesHeld,
      shardSize: i.shardSize,
      endpoints: i.endpoints as Record<string, Record<string, string>>,
      startedAt: i.startedAt.toISOString(),
      heartbeatAt: i.heartbeatAt.toISOString(),
      leaseExpiresAt: i.leaseExpiresAt.toISOString(),
    }));
    const roles = SINGLETON_ROLES.filter((role) => instances.some((i) => i.rolesRequested.includes(role))).map((role) => ({
      role,
      holder: instances.find((i) => i.rolesHeld.includes(role))?.id ?? null,
    }));
    const healthy = migrations.pending === 0 && workers.every((w) => w.status !== 'error' && !w.stale) && roles.every((r) => r.holder !== null);
    return {
      status: healthy ? 'ok' : 'degraded',
      checkedAt: checkedAt.toISOString(),
      database: { status: 'up', serverVersion: version.rows[0]?.version, latencyMs },
      migrations,
      workers,
      telemetryDrops: drops,
      instances,
      roles,
    };
  } catch (error) {
    return {
      status: 'down',
      checkedAt: checkedAt.toISOString(),
      database: { status: 'down', error: error instanceof Error ? error.message : String(error) },
      workers: [],
    };
  }
}
