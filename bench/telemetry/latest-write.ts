/**
 * The latest-values write of an ingest flush (latest-store.ts `LatestValues.write`) on its own: PostgreSQL backend CPU
 * and Node CPU per flush, and the wall time of the write, for flushes shaped like the large seed's at 30 s (about
 * 7,400 series in 118 series groups per flush, each group's series all newer than what is stored: the whole-array
 * path), with one late sample every seventh flush (the merge path). The table's final content is printed as a digest,
 * so two versions of the write can be checked for the same result.
 *
 *   npx tsx bench/telemetry/latest-write.ts [--flushes 400]
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { runMigrations } from '../../src/server/db/migrate';
import { LatestValues } from '../../src/server/services/telemetry/latest-store';
import { arg, machine, pct, r3, throwawayPostgres } from './common';

const flushes = Number(arg('flushes', '400'));
const GROUPS = 3_400;
const GROUPS_PER_FLUSH = 118;
const SERIES_PER_GROUP = 63;

async function main() {
  const started = machine();
  const db = await throwawayPostgres();
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  try {
    await runMigrations(pool);
    const client = await pool.connect();
    try {
      const backendPid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      // utime + stime of the backend, in ms (clock ticks of 10 ms).
      const backendMs = () => {
        const fields = readFileSync(`/proc/${backendPid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        return (Number(fields[11]) + Number(fields[12])) * 10;
      };
      const base = 1_796_428_000_000;
      const wallMs: number[] = [];
      const backend0 = backendMs();
      const node0 = process.cpuUsage();
      let values = 0;
      for (let f = 0; f < flushes; f++) {
        const latest = new LatestValues();
        const first = (f * GROUPS_PER_FLUSH) % GROUPS;
        for (let g = first; g < first + GROUPS_PER_FLUSH; g++) {
          for (let k = 0; k < SERIES_PER_GROUP; k++) latest.add(g * 64 + k, base + f * 250 + (k % 3), Math.sin(f + k) * 100);
        }
        if (f % 7 === 3) latest.add(5 * 64 + 63, base, 1.5);
        values += latest.size;
        const t0 = performance.now();
        await latest.write(client);
        wallMs.push(performance.now() - t0);
      }
      const node = process.cpuUsage(node0);
      const backend = backendMs() - backend0;
      const digest = await client.query<{ digest: string; rows: number }>(
        `SELECT md5(string_agg(series_group || ':' || newest_ts || oldest_ts || series_ids::text || stamps::text || vals::text, ';' ORDER BY series_group)) AS digest,
                count(*)::int AS rows
           FROM telemetry_latest_blocks`,
      );
      console.log(
        JSON.stringify(
          {
            bench: 'latest-write',
            machine: started,
            flushes,
            valuesPerFlush: Math.round(values / flushes),
            backendCpuMsPerFlush: r3(backend / flushes),
            nodeCpuMsPerFlush: r3((node.user + node.system) / 1000 / flushes),
            backendCpuUsPerValue: r3((backend * 1000) / values),
            wallMs: { p50: r3(pct(wallMs, 50)), p90: r3(pct(wallMs, 90)) },
            table: digest.rows[0],
          },
          null,
          2,
        ),
      );
    } finally {
      client.release();
    }
  } finally {
    await pool.end();
    await db.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
