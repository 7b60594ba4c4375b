import { tracked } from '@trpc/server';
import { z } from 'zod';
import { getHealth } from '../../services/health';
import { publicProcedure, router } from '../trpc';

const PULSE_INTERVAL_MS = 1000;

export const systemRouter = router({
  health: publicProcedure.query(({ ctx }) => getHealth(ctx.pool)),

  /** A live value over SSE: the database clock and the number of open connections, once a second. */
  pulse: publicProcedure
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
