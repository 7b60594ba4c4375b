import { tracked } from '@trpc/server';
import { z } from 'zod';
import { getHealth, type Health, type HealthInstance } from '../../services/health';
import { anonymousProcedure, readProcedure, router } from '../trpc';

const PULSE_INTERVAL_MS = 1000;

/**
 * Health as anyone may see it: the states, without the server version, host names and process ids (worker
 * instances), worker details or database error text. Same shape, so `plenum health` reads either.
 */
export function publicHealth(health: Health): Health {
  return {
    status: health.status,
    checkedAt: health.checkedAt,
    database: { status: health.database.status, latencyMs: health.database.latencyMs },
    migrations: health.migrations,
    workers: health.workers.map((w, i) => ({ name: w.name, instance: `#${i + 1}`, status: w.status, detail: '', heartbeatAt: w.heartbeatAt, stale: w.stale })),
    ...(health.instances ? { instances: health.instances.map((instance, i) => anonymousInstance(instance, i)) } : {}),
    ...(health.roles ? { roles: health.roles.map((r) => ({ role: r.role, holder: r.holder === null ? null : `#${(health.instances ?? []).findIndex((i) => i.id === r.holder) + 1}` })) } : {}),
  };
}

/** An instance as anyone may see it: its roles and shard, not its host, process, version or endpoints. */
function anonymousInstance(instance: HealthInstance, index: number): HealthInstance {
  return { ...instance, id: `#${index + 1}`, hostname: '', pid: 0, version: '', endpoints: {} };
}

export const systemRouter = router({
  /** Public (load balancers, `plenum health`); anonymous callers get no versions, hosts, process ids or error text. */
  health: anonymousProcedure.query(async ({ ctx }) => {
    const health = await getHealth(ctx.pool);
    return ctx.principal.permissions.has('read') ? health : publicHealth(health);
  }),

  /** A live value over SSE: the database clock and the number of open connections, once a second. */
  pulse: readProcedure
    .input(z.object({ intervalMs: z.number().int().min(250).max(60_000).default(PULSE_INTERVAL_MS) }).optional())
    .subscription(async function* ({ ctx, input, signal }) {
      const intervalMs = input?.intervalMs ?? PULSE_INTERVAL_MS;
      let sequence = 0;
      while (!signal?.aborted) {
        const result = await ctx.pool.query<{ db_time: Date; connections: number }>(
          'SELECT now() AS db_time, (SELECT count(*)::int FROM pg_stat_activity WHERE datname = current_database()) AS connections',
        );
        const row = result.rows[0]!;
        sequence++;
        yield tracked(String(sequence), { sequence, dbTime: row.db_time.toISOString(), connections: row.connections });
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
      }
    }),
});
