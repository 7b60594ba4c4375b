/**
 * Topology at scale: `topology.explore` through the real tRPC caller on a seeded site, per view (power, cooling,
 * network) and scope (the site closed, one hall open, a hall and a row open, a search for a rack). Reports the first
 * call (cold: the plant analysis and trees are built), the median and p95 of the next `--reps`, the nodes shown and the
 * answer's size. The browser then only draws those ≤ 120 positioned boxes (no layout on the main thread).
 *
 *   npx tsx bench/topology.ts [--seed xl|large|demo] [--reps 10]
 */
import { createCaller } from '../src/server/api/root';
import { createContext } from '../src/server/api/trpc';
import { systemPrincipal } from '../src/server/auth/principal';
import { createDb } from '../src/server/db/client';
import { runMigrations } from '../src/server/db/migrate';
import { seedIfEmpty } from '../src/server/db/seed';
import { arg, machine, pct, r1, throwawayPostgres } from './telemetry/common';

const reps = Number(arg('reps', '10'));
const seed = arg('seed', 'xl') as 'xl' | 'large' | 'demo';

async function main() {
  const started = machine();
  const pg = await throwawayPostgres();
  const handle = createDb(pg.url, { max: 10 });
  try {
    await runMigrations(handle.pool);
    const t0 = performance.now();
    const { gpus } = await seedIfEmpty(handle.db, seed);
    console.log(`seed ${seed}: ${gpus} GPUs, seeded in ${r1((performance.now() - t0) / 1000)} s; ${reps} calls each; ${JSON.stringify(started)}`);
    const caller = createCaller(createContext(handle, systemPrincipal('bench')));
    const siteId = (await caller.sites.listWithHalls())[0]!.id;
    const lastRack = await handle.pool.query<{ name: string }>('SELECT name FROM racks ORDER BY id DESC LIMIT 1');
    for (const view of ['power', 'cooling', 'network'] as const) {
      const site = await caller.topology.explore({ siteId, view });
      const hall = site.nodes.find((n) => n.id.startsWith('hall:'))!;
      const opened = await caller.topology.explore({ siteId, view, expanded: [hall.id] });
      const row = opened.nodes.find((n) => n.id.startsWith('row:') || n.id.startsWith('bucket:'));
      const cases: Record<string, Parameters<typeof caller.topology.explore>[0]> = {
        site: { siteId, view },
        'one hall open': { siteId, view, expanded: [hall.id] },
        'hall and row open': { siteId, view, expanded: row ? [hall.id, row.id] : [hall.id] },
        [`find rack ${lastRack.rows[0]!.name}`]: { siteId, view, focus: lastRack.rows[0]!.name },
      };
      for (const [name, input] of Object.entries(cases)) {
        const c0 = performance.now();
        const first = await caller.topology.explore(input);
        const cold = performance.now() - c0;
        const times: number[] = [];
        for (let i = 0; i < reps; i++) {
          const s0 = performance.now();
          await caller.topology.explore(input);
          times.push(performance.now() - s0);
        }
        const bytes = Buffer.byteLength(JSON.stringify(first));
        console.log(
          `${view.padEnd(8)} ${name.padEnd(26)} first ${r1(cold)} ms | median ${r1(pct(times, 50))} ms | p95 ${r1(pct(times, 95))} ms | ${first.nodes.length} nodes, ${first.edges.length} edges of ${first.totalItems} items | ${r1(bytes / 1024)} KiB`,
        );
      }
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
