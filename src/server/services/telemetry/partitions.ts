/**
 * Partition maintenance: raw samples and their compressed chunks in daily partitions, rollups in monthly ones, created
 * ahead of time and dropped whole when they fall out of retention (a DROP TABLE, not a DELETE: no bloat, no vacuum debt).
 */
import type pg from 'pg';

const DAY_MS = 86_400_000;
/** Only one process changes partitions at a time (DDL on a partitioned table takes strong locks anyway). */
const MAINTENANCE_LOCK_KEY = 7_041_990;

/** Raw samples' write table (sample blocks, sample-store.ts). */
export const RAW_TABLE = 'telemetry_sample_blocks';
/** Compressed windows of raw samples: same daily partitions and retention as the raw table. */
export const CHUNK_TABLE = 'telemetry_chunks';
const DAILY_TABLES = [RAW_TABLE, CHUNK_TABLE] as const;
/** Rollups and the compressed closed hours of the 1-minute ones (rollup-store.ts): monthly, with the rollups' retention. */
export const ROLLUP_TABLES = ['telemetry_rollup_1m_blocks', 'telemetry_rollup_1h', 'telemetry_rollup_1m_chunks'] as const;

/** How far ahead partitions exist: samples up to this far in the future are accepted. */
export const RAW_DAYS_AHEAD = 2;

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const dayStartMs = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS;
const monthStartMs = (ms: number) => {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
};
const addMonths = (ms: number, n: number) => {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1);
};

export type PartitionPlan = { table: string; name: string; fromMs: number; toMs: number }[];

/** Partitions that should exist at `nowMs` (pure; tested without a database). */
export function plannedPartitions(nowMs: number, rawRetentionDays: number, rollupRetentionDays: number): PartitionPlan {
  const plan: PartitionPlan = [];
  for (const table of DAILY_TABLES) {
    for (let d = dayStartMs(nowMs - rawRetentionDays * DAY_MS); d <= dayStartMs(nowMs) + RAW_DAYS_AHEAD * DAY_MS; d += DAY_MS) {
      const t = new Date(d);
      plan.push({ table, name: `${table}_p${t.getUTCFullYear()}${pad(t.getUTCMonth() + 1)}${pad(t.getUTCDate())}`, fromMs: d, toMs: d + DAY_MS });
    }
  }
  for (const table of ROLLUP_TABLES) {
    for (let m = monthStartMs(nowMs - rollupRetentionDays * DAY_MS); m <= addMonths(monthStartMs(nowMs), 1); m = addMonths(m, 1)) {
      const t = new Date(m);
      plan.push({ table, name: `${table}_p${t.getUTCFullYear()}${pad(t.getUTCMonth() + 1)}`, fromMs: m, toMs: addMonths(m, 1) });
    }
  }
  return plan;
}

/** The earliest sample time still inside raw retention (older samples are refused at ingest). */
export function rawWindowStartMs(nowMs: number, rawRetentionDays: number): number {
  return dayStartMs(nowMs - rawRetentionDays * DAY_MS);
}
export function rawWindowEndMs(nowMs: number): number {
  return dayStartMs(nowMs) + (RAW_DAYS_AHEAD + 1) * DAY_MS;
}

export type MaintenanceResult = { created: string[]; dropped: string[] };

/** Creates missing partitions and drops expired ones. Safe to run from several processes. */
export async function maintainPartitions(
  pool: pg.Pool,
  options: { nowMs?: number; rawRetentionDays: number; rollupRetentionDays: number },
): Promise<MaintenanceResult> {
  const nowMs = options.nowMs ?? Date.now();
  const plan = plannedPartitions(nowMs, options.rawRetentionDays, options.rollupRetentionDays);
  const client = await pool.connect();
  const created: string[] = [];
  const dropped: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MAINTENANCE_LOCK_KEY]);
    try {
      const existing = await client.query<{ parent: string; child: string }>(
        `SELECT p.relname AS parent, c.relname AS child
           FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
          WHERE p.relname = ANY($1)`,
        [[...DAILY_TABLES, ...ROLLUP_TABLES]],
      );
      const have = new Set(existing.rows.map((r) => r.child));
      for (const p of plan) {
        if (have.has(p.name)) continue;
        // The server's database role owns no table: the owner-run function (drizzle/0009) does the DDL.
        await client.query('SELECT plenum_create_partition($1, $2, $3, $4)', [p.table, p.name, new Date(p.fromMs), new Date(p.toMs)]);
        created.push(p.name);
      }
      // Drop partitions that end before the retention window starts.
      const cutoff: Record<string, number> = {};
      for (const t of DAILY_TABLES) cutoff[t] = nowMs - options.rawRetentionDays * DAY_MS;
      for (const t of ROLLUP_TABLES) cutoff[t] = nowMs - options.rollupRetentionDays * DAY_MS;
      for (const row of existing.rows) {
        const upperMs = partitionUpperMs(row.child);
        if (upperMs !== undefined && upperMs <= cutoff[row.parent]!) {
          await client.query('SELECT plenum_drop_partition($1)', [row.child]);
          dropped.push(row.child);
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MAINTENANCE_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
  return { created, dropped };
}

/** Upper bound of a partition from its name (`…_pYYYYMMDD` daily, `…_pYYYYMM` monthly); undefined for other names. */
export function partitionUpperMs(name: string): number | undefined {
  const m = /_p(\d{4})(\d{2})(\d{2})?$/.exec(name);
  if (!m) return undefined;
  const y = Number(m[1]);
  const mo = Number(m[2]) - 1;
  return m[3] === undefined ? Date.UTC(y, mo + 1, 1) : Date.UTC(y, mo, Number(m[3]) + 1);
}
