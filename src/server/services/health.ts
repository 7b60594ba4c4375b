import type pg from 'pg';
import { migrationState } from '../db/migrate';

const STALE_AFTER_MS = 15_000;

export type Health = {
  status: 'ok' | 'degraded' | 'down';
  checkedAt: string;
  database: { status: 'up' | 'down'; serverVersion?: string; latencyMs?: number; error?: string };
  migrations?: { applied: number; latest: string | null; pending: number };
  workers: { name: string; instance: string; status: string; detail: string; heartbeatAt: string; stale: boolean }[];
};

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
    const healthy = migrations.pending === 0 && workers.every((w) => w.status !== 'error' && !w.stale);
    return {
      status: healthy ? 'ok' : 'degraded',
      checkedAt: checkedAt.toISOString(),
      database: { status: 'up', serverVersion: version.rows[0]?.version, latencyMs },
      migrations,
      workers,
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
