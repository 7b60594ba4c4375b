/**
 * Alert triage over the database: the open alerts grouped by cause (src/domain/alert-triage), each with the racks and
 * jobs it affects and its runbook; bulk acknowledgement with a note; silencing for a duration.
 */
import type pg from 'pg';
import { type AlertGroup, groupByCause, naturalCompare, runbookFor, type TriageAlert } from '@/domain/alert-triage';
import { ALERT_CHANNEL } from './telemetry/alerts';

export type TriagedAlert = TriageAlert & {
  value: number | null;
  unit: string | null;
  acknowledgedAt: Date | null;
  acknowledgedBy: string | null;
  ackNote: string | null;
  silencedUntil: Date | null;
  silencedBy: string | null;
  resolvedAt: Date | null;
  runbook: string;
  /** The racks it concerns: its own rack, or every rack a failed cooling unit serves (natural order). */
  racks: { id: number; name: string }[];
  /** Jobs holding GPUs in those racks now. */
  jobs: { id: number; name: string }[];
};

export type Triage = { groups: AlertGroup<TriagedAlert>[]; silenced: TriagedAlert[]; resolved: TriagedAlert[] };

type Row = Omit<TriagedAlert, 'runbook' | 'racks' | 'jobs'> & { kind: string; description: string; rackName: string | null };

/** `alertCondition`: a fixed SQL condition on `a` (alerts) narrowing what is shown, e.g. to a caller's zones; never user text. */
export async function loadTriage(pool: pg.Pool, alertCondition = 'true', resolvedLimit = 100): Promise<Triage> {
  const { rows } = await pool.query<Row>(
    `(SELECT a.id, r.name AS rule, r.metric, r.kind, r.description, r.severity, a.state, a.started_at AS "startedAt", a.entity_label AS "entityLabel",
             a.rack_id AS "rackId", rk.name AS "rackName", s.cooling_unit_id AS "coolingUnitId", a.value,
             CASE WHEN r.kind = 'rack-power-budget' THEN 'ratio' WHEN r.kind = 'target-down' THEN 's' ELSE s.unit END AS unit,
             a.acknowledged_at AS "acknowledgedAt", a.acknowledged_by AS "acknowledgedBy", a.ack_note AS "ackNote",
             a.silenced_until AS "silencedUntil", a.silenced_by AS "silencedBy", a.resolved_at AS "resolvedAt"
        FROM alerts a JOIN alert_rules r ON r.id = a.rule_id LEFT JOIN telemetry_series s ON s.id = a.series_id LEFT JOIN racks rk ON rk.id = a.rack_id
       WHERE a.state <> 'resolved' AND ${alertCondition})
     UNION ALL
     (SELECT a.id, r.name, r.metric, r.kind, r.description, r.severity, a.state, a.started_at, a.entity_label, a.rack_id, rk.name, s.cooling_unit_id, a.value,
             CASE WHEN r.kind = 'rack-power-budget' THEN 'ratio' WHEN r.kind = 'target-down' THEN 's' ELSE s.unit END,
             a.acknowledged_at, a.acknowledged_by, a.ack_note, a.silenced_until, a.silenced_by, a.resolved_at
        FROM alerts a JOIN alert_rules r ON r.id = a.rule_id LEFT JOIN telemetry_series s ON s.id = a.series_id LEFT JOIN racks rk ON rk.id = a.rack_id
       WHERE a.state = 'resolved' AND ${alertCondition} ORDER BY a.resolved_at DESC LIMIT $1)`,
    [resolvedLimit],
  );
  const unitIds = [...new Set(rows.filter((r) => r.state !== 'resolved' && r.coolingUnitId !== null).map((r) => r.coolingUnitId!))];
  const served = unitIds.length
    ? (
        await pool.query<{ unit_id: number; rack_id: number; rack_name: string }>(
          `SELECT DISTINCT a.unit_id, r.id AS rack_id, r.name AS rack_name
             FROM cooling_served_areas a JOIN racks r ON r.id = a.rack_id OR r.row_id = a.row_id OR r.hall_id = a.hall_id
            WHERE a.unit_id = ANY($1::int[])`,
          [unitIds],
        )
      ).rows
    : [];
  const racksServed = new Map<number, Set<number>>();
  const rackNames = new Map<number, string>();
  for (const row of served) {
    racksServed.set(row.unit_id, (racksServed.get(row.unit_id) ?? new Set()).add(row.rack_id));
    rackNames.set(row.rack_id, row.rack_name);
  }
  for (const row of rows) if (row.rackId !== null && row.rackName) rackNames.set(row.rackId, row.rackName);

  const racksOf = (row: Row): number[] => (row.coolingUnitId !== null && racksServed.has(row.coolingUnitId) ? [...racksServed.get(row.coolingUnitId)!] : row.rackId !== null ? [row.rackId] : []);
  const openRacks = [...new Set(rows.filter((r) => r.state !== 'resolved').flatMap(racksOf))];
  const jobsByRack = new Map<number, { id: number; name: string }[]>();
  if (openRacks.length) {
    const jobs = await pool.query<{ rack_id: number; id: number; name: string }>(
      `SELECT DISTINCT d.rack_id, j.id, j.name
         FROM gpu_allocations g JOIN jobs j ON j.id = g.job_id JOIN accelerators x ON x.id = g.accelerator_id JOIN devices d ON d.id = x.device_id
        WHERE g.released_at IS NULL AND j.status IN ('scheduled', 'running') AND d.rack_id = ANY($1::int[])
        ORDER BY j.id`,
      [openRacks],
    );
    for (const job of jobs.rows) jobsByRack.set(job.rack_id, [...(jobsByRack.get(job.rack_id) ?? []), { id: job.id, name: job.name }]);
  }

  const now = Date.now();
  const triaged = rows.map((row): TriagedAlert => {
    const { kind, description, rackName: _rackName, ...alert } = row;
    const rackIds = row.state === 'resolved' ? (row.rackId !== null ? [row.rackId] : []) : racksOf(row);
    const jobs = new Map<number, { id: number; name: string }>();
    if (row.state !== 'resolved') for (const rackId of rackIds) for (const job of jobsByRack.get(rackId) ?? []) jobs.set(job.id, job);
    return {
      ...alert,
      runbook: runbookFor({ metric: row.metric, kind, description }),
      racks: rackIds.map((id) => ({ id, name: rackNames.get(id) ?? `rack ${id}` })).sort((a, b) => naturalCompare(a.name, b.name)),
      jobs: [...jobs.values()],
    };
  });
  const isSilenced = (a: TriagedAlert) => a.state !== 'resolved' && a.silencedUntil !== null && new Date(a.silencedUntil).getTime() > now;
  return {
    groups: groupByCause(
      triaged.filter((a) => a.state !== 'resolved' && !isSilenced(a)),
      racksServed,
    ),
    silenced: triaged.filter(isSilenced),
    resolved: triaged.filter((a) => a.state === 'resolved'),
  };
}

/** Acknowledges the firing ones among `ids` with one note; returns the ids acknowledged (others were not firing). */
export async function acknowledgeAlerts(pool: pg.Pool, ids: number[], actor: string, note: string | null): Promise<number[]> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const updated = await client.query<{ id: number }>(
      `UPDATE alerts SET state = 'acknowledged', acknowledged_at = now(), acknowledged_by = $2, ack_note = $3, updated_at = now()
        WHERE id = ANY($1::int[]) AND state = 'firing' RETURNING id`,
      [ids, actor, note],
    );
    const done = updated.rows.map((r) => r.id).sort((a, b) => a - b);
    if (done.length) {
      await client.query(`INSERT INTO alert_events (alert_id, state, actor, note) SELECT unnest($1::int[]), 'acknowledged', $2, $3`, [done, actor, note]);
      await client.query('SELECT pg_notify($1, $2)', [ALERT_CHANNEL, JSON.stringify({ acknowledged: done })]);
    }
    await client.query('COMMIT');
    return done;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/** Hides open alerts from the triage list for `durationMs`; they keep their state and still resolve on their own. */
export async function silenceAlerts(pool: pg.Pool, ids: number[], durationMs: number, actor: string, note: string | null): Promise<{ ids: number[]; until: Date }> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const updated = await client.query<{ id: number; state: string; silenced_until: Date }>(
      `UPDATE alerts SET silenced_until = now() + make_interval(secs => $2::double precision / 1000), silenced_by = $3, updated_at = now()
        WHERE id = ANY($1::int[]) AND state <> 'resolved' RETURNING id, state, silenced_until`,
      [ids, durationMs, actor],
    );
    const until = updated.rows[0]?.silenced_until ?? new Date(Date.now() + durationMs);
    for (const row of updated.rows) {
      await client.query(`INSERT INTO alert_events (alert_id, state, actor, note) VALUES ($1, $2, $3, $4)`, [row.id, row.state, actor, `silenced until ${new Date(row.silenced_until).toISOString()}${note ? `: ${note}` : ''}`]);
    }
    if (updated.rows.length) await client.query('SELECT pg_notify($1, $2)', [ALERT_CHANNEL, JSON.stringify({ silenced: updated.rows.map((r) => r.id) })]);
    await client.query('COMMIT');
    return { ids: updated.rows.map((r) => r.id).sort((a, b) => a - b), until };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
