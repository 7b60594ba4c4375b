/**
 * Zone isolation cost: the list procedures a page opens, called through the real tRPC caller as an all-zones admin
 * (no zone condition at all) and as a viewer scoped to the "Data halls" zone (the larger one: every list row passes
 * the `zoneCondition` sub-select), on the large seed. Medians and p95 over `--reps` calls each.
 *
 *   npx tsx bench/zones.ts [--reps 50] [--seed large|demo]
 */
import { createCaller } from '../src/server/api/root';
import { createContext } from '../src/server/api/trpc';
import { permissionsOf } from '../src/server/auth/permissions';
import { type Principal, systemPrincipal } from '../src/server/auth/principal';
import { createDb } from '../src/server/db/client';
import { runMigrations } from '../src/server/db/migrate';
import { seedIfEmpty } from '../src/server/db/seed';
import { arg, machine, pct, r1, throwawayPostgres } from './telemetry/common';

const reps = Number(arg('reps', '50'));
const seed = arg('seed', 'large') as 'large' | 'demo';

async function main() {
  const started = machine();
  const pg = await throwawayPostgres();
  const handle = createDb(pg.url, { max: 10 });
  try {
    await runMigrations(handle.pool);
    const { gpus } = await seedIfEmpty(handle.db, seed);
    const zone = await handle.pool.query<{ id: number }>(`SELECT id FROM security_zones WHERE name = 'Data halls'`);
    const scoped: Principal = {
      kind: 'session',
      userId: null,
      username: 'bench-zone-viewer',
      role: 'viewer',
      permissions: permissionsOf('viewer'),
      allZones: false,
      zoneIds: new Set([zone.rows[0]!.id]),
      tokenId: null,
      sessionHash: null,
    };
    const callers = { 'all zones': createCaller(createContext(handle, systemPrincipal('bench'))), 'one zone': createCaller(createContext(handle, scoped)) };
    const cases: Record<string, (c: (typeof callers)['all zones']) => Promise<unknown>> = {
      'devices.list (500)': (c) => c.devices.list({ limit: 500 }),
      'racks.list (500)': (c) => c.racks.list({ limit: 500 }),
      'jobs.gpuModels': (c) => c.jobs.gpuModels(),
      'deviceTypes.list (100)': (c) => c.deviceTypes.list({ limit: 100 }),
      'sites.listWithHalls': (c) => c.sites.listWithHalls(),
      'devices.get': (c) => c.devices.get({ id: 1 }),
    };
    console.log(`seed ${seed}: ${gpus} GPUs; ${reps} calls each; ${JSON.stringify(started)}`);
    for (const [name, run] of Object.entries(cases)) {
      const line: string[] = [name.padEnd(24)];
      const medians: number[] = [];
      for (const [label, caller] of Object.entries(callers)) {
        for (let i = 0; i < 3; i++) await run(caller); // warm-up
        const times: number[] = [];
        for (let i = 0; i < reps; i++) {
          const t0 = performance.now();
          await run(caller);
          times.push(performance.now() - t0);
        }
        const median = pct(times, 50);
        medians.push(median);
        line.push(`${label}: median ${r1(median)} ms, p95 ${r1(pct(times, 95))} ms`);
      }
      line.push(`ratio ${r1(medians[1]! / medians[0]!)}×`);
      console.log(line.join('  |  '));
    }
  } finally {
    await handle.pool.end();
    await pg.stop();
  }
}

void main().catch((error) => {
  console.error(error);
  process.exit(1);
});
