/**
 * One LISTEN connection per process, fanned out to any number of in-process subscribers (SSE streams, the alert
 * evaluator). Writers anywhere (this process or another) NOTIFY inside their transaction, so a subscriber hears about
 * a change only once it is committed. The connection is re-opened after a failure (PostgreSQL restart); events sent
 * while it was down are not replayed, so subscribers re-query state rather than trusting payloads.
 */
import pg from 'pg';

export type NotifyListener = (payload: string) => void;

export class NotifyBus {
  private client: pg.Client | undefined;
  private readonly listeners = new Map<string, Set<NotifyListener>>();
  private connecting: Promise<void> | undefined;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly url: string) {}

  /** Subscribes to a channel; returns the unsubscribe function. */
  subscribe(channel: string, listener: NotifyListener): () => void {
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
      if (this.client) void this.client.query(`LISTEN "${channel}"`).catch(() => {});
    }
    set.add(listener);
    void this.ensureConnected();
    return () => {
      set.delete(listener);
    };
  }

  /** Waits for the next event on a channel (or the timeout / abort), whichever comes first. Resolves true on an event. */
  next(channel: string, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      let done = false;
      const finish = (value: boolean) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        unsubscribe();
        signal?.removeEventListener('abort', onAbort);
        resolve(value);
      };
      const onAbort = () => finish(false);
      const unsubscribe = this.subscribe(channel, () => finish(true));
      const timer = setTimeout(() => finish(false), timeoutMs);
      signal?.addEventListener('abort', onAbort);
    });
  }

  private ensureConnected(): Promise<void> {
    if (this.closed || this.client) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, application_name: 'plenum-notify' });
    client.on('notification', (msg) => {
      for (const listener of this.listeners.get(msg.channel) ?? []) {
        try {
          listener(msg.payload ?? '');
        } catch {
          // A failing subscriber must not stop the others.
        }
      }
    });
    const reconnect = () => {
      if (this.client === client) this.client = undefined;
      client.end().catch(() => {});
      if (!this.closed && !this.retry) {
        this.retry = setTimeout(() => {
          this.retry = undefined;
          void this.ensureConnected();
        }, 1_000);
      }
    };
    client.on('error', reconnect);
    client.on('end', reconnect);
    try {
      await client.connect();
      for (const channel of this.listeners.keys()) await client.query(`LISTEN "${channel}"`);
      this.client = client;
    } catch {
      reconnect();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => {});
  }
}

/** The process-wide bus, shared by the start script and the Next.js route handlers (different module instances). */
export function getNotifyBus(url = process.env.DATABASE_URL): NotifyBus {
  const holder = globalThis as unknown as { __plenumNotifyBus?: NotifyBus };
  if (!holder.__plenumNotifyBus) {
    if (!url) throw new Error('DATABASE_URL is not set: start Plenum with `npm start`');
    holder.__plenumNotifyBus = new NotifyBus(url);
  }
  return holder.__plenumNotifyBus;
}
