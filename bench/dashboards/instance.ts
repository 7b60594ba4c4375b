/**
 * One Plenum instance for the viewer benchmark: the real `/api/trpc` handler (handleTrpcRequest: token auth, tRPC,
 * SSE) on a loopback port over a DATABASE_URL shared with the other instances. With BENCH_WORKERS=1 it also runs the
 * telemetry workers (simulator, scrapers, ingest, rollups, alerts) as `npm start` does; the others serve web only.
 * With BENCH_SETUP=1 it first migrates and seeds (PLENUM_SEED, default demo) and creates a viewer token.
 * Prints one JSON line `{"ready":…}` on stdout. Not a Next.js server: pages are not rendered, only their API calls.
 */
import { createFirstAdmin, createToken } from '../../src/server/auth/accounts';
import { createDb } from '../../src/server/db/client';
import { runMigrations } from '../../src/server/db/migrate';
import { seedIfEmpty } from '../../src/server/db/seed';
import { telemetryWorkers } from '../../src/server/services/telemetry/start';
import { WorkerRunner } from '../../src/server/services/workers';
import { trpcLoopbackServer } from '../telemetry/common';

async function main() {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set');
  const handle = createDb(url, { max: 20 });
  let token: string | undefined;
  if (process.env.BENCH_SETUP === '1') {
    await runMigrations(handle.pool);
    await seedIfEmpty(handle.db, (process.env.PLENUM_SEED ?? 'demo') as 'demo');
    const admin = await createFirstAdmin(handle.db, { username: 'bench', password: 'bench-password-not-secret-1' });
    token = (await createToken(handle.db, { userId: admin!.id, name: 'bench', role: 'viewer', allZones: true, zoneIds: [], expiresAt: null, createdBy: null })).secret;
  }
  const runner = new WorkerRunner(handle.db);
  if (process.env.BENCH_WORKERS === '1') {
    for (const w of await telemetryWorkers(handle.pool, (l) => console.error(`[instance] ${l}`))) runner.add(w);
    runner.start();
  }
  const { server, port } = await trpcLoopbackServer(handle, Number(process.env.BENCH_PORT ?? 0));
  console.log(JSON.stringify({ ready: true, port, token }));
  const stop = async () => {
    server.closeAllConnections();
    server.close();
    await runner.stop().catch(() => {});
    await handle.pool.end().catch(() => {});
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
