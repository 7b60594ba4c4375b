/**
 * Alert rules and their evaluation. Each tick reads the latest sample of every series a rule watches (fresher than
 * the staleness limit); a condition that holds is "pending" until it has held for the rule's duration, then fires.
 * Lifecycle: firing → acknowledged (by an operator) → resolved (when the condition stops holding or the data goes
 * stale); every transition is an alert_events row and a NOTIFY on `plenum_alerts`. Pending state is in memory, as in
 * Prometheus: a restart only delays a firing by one duration. One evaluator runs at a time (advisory lock).
 */
import type pg from 'pg';
import { intArrayLiteral } from '../../db/array-literal';
import { preparedQuery } from '../../db/statement-params';
import { preferenceSql, quantityKeySql, remoteWritePreference } from './sources';
import { latestOfSeriesSql } from './latest-store';
import type { AlertRuleKind, AlertSeverity } from '../../db/schema';

export const ALERT_CHANNEL = 'plenum_alerts';
// Not compaction's 7_041_992: the two may run in different instances and must not skip each other.
const EVALUATOR_LOCK_KEY = 7_041_993;

export type RuleSpec = {
  name: string;
  kind: AlertRuleKind;
  metric: string | null;
  comparator: '>' | '<';
  threshold: number;
  durationS: number;
  severity: AlertSeverity;
  description: string;
};

/** The rules every installation starts with (created when missing; edits made later are kept). */
export const DEFAULT_RULES: RuleSpec[] = [
  { name: 'Rack inlet above 27 °C', kind: 'threshold', metric: 'rack_inlet_temp_c', comparator: '>', threshold: 27, durationS: 30, severity: 'warning', description: 'ASHRAE recommended inlet range ends at 27 °C.' },
  { name: 'Rack inlet above 32 °C', kind: 'threshold', metric: 'rack_inlet_temp_c', comparator: '>', threshold: 32, durationS: 30, severity: 'critical', description: 'ASHRAE A1 allowable inlet range ends at 32 °C.' },
  { name: 'GPU above 85 °C', kind: 'threshold', metric: 'gpu_temp_c', comparator: '>', threshold: 85, durationS: 30, severity: 'critical', description: 'H100/H200 slow down at ~87 °C (max operating) and shut down at ~95 °C.' },
  { name: 'GPU XID error', kind: 'threshold', metric: 'gpu_xid_last', comparator: '>', threshold: 0, durationS: 0, severity: 'critical', description: 'The GPU reported an XID error (DCGM_FI_DEV_XID_ERRORS).' },
  { name: 'Rack power above 90 % of budget', kind: 'rack-power-budget', metric: 'pdu_power_w', comparator: '>', threshold: 0.9, durationS: 60, severity: 'warning', description: 'Measured rack PDU power (all feeds) over 90 % of the rack maximum power.' },
  { name: 'UPS on battery', kind: 'threshold', metric: 'ups_on_battery', comparator: '>', threshold: 0.5, durationS: 0, severity: 'critical', description: 'The UPS output is supplied by its battery.' },
  { name: 'Cooling unit failed', kind: 'threshold', metric: 'plenum_cooling_unit_running', comparator: '<', threshold: 0.5, durationS: 0, severity: 'critical', description: 'The cooling unit stopped.' },
  { name: 'Scrape target down', kind: 'target-down', metric: null, comparator: '>', threshold: 0, durationS: 30, severity: 'warning', description: 'No successful scrape for the duration (or 3 scrape intervals, whichever is longer).' },
];

export async function ensureDefaultRules(pool: pg.Pool): Promise<void> {
  for (const r of DEFAULT_RULES) {
    await pool.query(
      `INSERT INTO alert_rules (name, kind, metric, comparator, threshold, duration_s, severity, description)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (name) DO NOTHING`,
      [r.name, r.kind, r.metric, r.comparator, r.threshold, r.durationS, r.severity, r.description],
    );
  }
}

type Rule = RuleSpec & { id: number };
/** What a rule found true right now, per entity. */
type Finding = { entityKey: string; entityLabel: string; seriesId: number | null; rackId: number | null; value: number };

const holds = (value: number, comparator: '>' | '<', threshold: number) => (comparator === '>' ? value > threshold : value < threshold);

/** A readable name for a series' entity. */
const ENTITY_LABEL_SQL = `coalesce(
    CASE WHEN s.accelerator_id IS NOT NULL THEN a.uuid || ' on ' || coalesce(d.hostname, d.name) END,
    d.hostname, d.name, pn.name, cu.name, r.name, si.slug, s.device_name, s.hostname, s.metric)
  || coalesce(' (' || (s.labels ->> 'sensor') || ')', '')`;

/**
 * The latest reading of series `s`, probed by key. A rule reads one metric, a small share of the latest values, yet as a
 * join the planner scanned the whole table and hashed it (every series of every metric: 215k rows at 8,448 GPUs,
 * millions at 100,000); OFFSET 0 keeps the subquery from being flattened into that join, so the cost follows the
 * metric's series (measured at 8,448 GPUs on 26 metrics: 28 ms instead of 43-63 ms per rule, and no parallel workers).
 */
const LATEST_OF_SERIES_SQL = `${latestOfSeriesSql('s.id')} OFFSET 0`;

/**
 * The threshold rules' findings, all rules in one statement: every series of each rule's metric with a reading younger
 * than the staleness bound (from latest-store.ts, the newest sample of each series), one reading per physical quantity
 * (sources.ts: the preferred source, then the freshest), kept where the rule's comparison holds. Each metric is read
 * once however many rules watch it. PostgreSQL picks the readings and compares them, so only the few that hold come
 * back (reading every GPU's row into Node on every evaluation cost more than the rest of the evaluation); only those
 * few are then named (the label joins). NaN never holds (as in JavaScript; PostgreSQL sorts it above every number).
 */
async function thresholdFindings(db: pg.Pool | pg.PoolClient, rules: Rule[], stalenessMs: number): Promise<Map<number, Finding[]>> {
  const byRule = new Map<number, Finding[]>(rules.map((r) => [r.id, []]));
  if (rules.length === 0) return byRule;
  const rows = await preparedQuery<{ rule_id: number; series_id: number; value: number; rack_id: number | null }>(
    db,
    `WITH readings AS (
       SELECT DISTINCT ON (s.metric, ${quantityKeySql()}) s.metric, s.id AS series_id, latest.value, s.rack_id
         FROM telemetry_series s
        CROSS JOIN LATERAL (${LATEST_OF_SERIES_SQL}) latest
         LEFT JOIN scrape_targets t ON t.id = s.target_id
        WHERE s.metric = ANY($1::text[]) AND latest.ts > now() - make_interval(secs => $5 / 1000.0) AND (s.ended_at IS NULL OR latest.ts > s.ended_at)
        ORDER BY s.metric, ${quantityKeySql()}, ${preferenceSql('$6')} DESC, latest.ts DESC, s.id)
     SELECT r.id AS rule_id, q.series_id, q.value, q.rack_id
       FROM unnest($1::text[], $2::int4[], $3::text[], $4::float8[]) AS r(metric, id, comparator, threshold)
       JOIN readings q ON q.metric = r.metric
      WHERE q.value <> 'NaN' AND CASE r.comparator WHEN '<' THEN q.value < r.threshold ELSE q.value > r.threshold END`,
    [
      rules.map((r) => r.metric ?? ''),
      intArrayLiteral(rules.map((r) => r.id)),
      rules.map((r) => (r.comparator === '<' ? '<' : '>')),
      rules.map((r) => r.threshold),
      stalenessMs,
      remoteWritePreference(),
    ],
  );
  if (rows.rows.length === 0) return byRule;
  const labels = await db.query<{ id: number; label: string }>(
    `SELECT s.id, ${ENTITY_LABEL_SQL} AS label
       FROM telemetry_series s
       LEFT JOIN accelerators a ON a.id = s.accelerator_id
       LEFT JOIN devices d ON d.id = s.device_id
       LEFT JOIN power_nodes pn ON pn.id = s.power_node_id
       LEFT JOIN cooling_units cu ON cu.id = s.cooling_unit_id
       LEFT JOIN racks r ON r.id = s.rack_id
       LEFT JOIN sites si ON si.id = s.site_id
      WHERE s.id = ANY($1::int4[])`,
    [intArrayLiteral([...new Set(rows.rows.map((r) => r.series_id))])],
  );
  const labelOf = new Map(labels.rows.map((r) => [r.id, r.label]));
  const metricOf = new Map(rules.map((r) => [r.id, r.metric ?? '']));
  for (const r of rows.rows) {
    byRule.get(r.rule_id)!.push({ entityKey: `series:${r.series_id}`, entityLabel: labelOf.get(r.series_id) ?? metricOf.get(r.rule_id)!, seriesId: r.series_id, rackId: r.rack_id, value: r.value });
  }
  return byRule;
}

async function rackPowerFindings(db: pg.Pool | pg.PoolClient, rule: Rule, stalenessMs: number): Promise<Finding[]> {
  const rows = await preparedQuery<{ rack_id: number; name: string; ratio: number }>(
    db,
    // One reading per rack PDU (the preferred source, then the freshest: sources.ts), then summed per rack.
    `WITH per_pdu AS (
       SELECT DISTINCT ON (s.power_node_id) s.rack_id, latest.value
         FROM telemetry_series s
         LEFT JOIN scrape_targets t ON t.id = s.target_id
         CROSS JOIN LATERAL (${LATEST_OF_SERIES_SQL}) latest
        WHERE s.metric = $1 AND s.entity_kind = 'power-node' AND s.rack_id IS NOT NULL
          AND latest.ts > now() - make_interval(secs => $2 / 1000.0) AND (s.ended_at IS NULL OR latest.ts > s.ended_at)
        ORDER BY s.power_node_id, ${preferenceSql('$3')} DESC, latest.ts DESC, s.id)
     SELECT r.id AS rack_id, r.name, sum(p.value) / (r.max_power_kw * 1000) AS ratio
       FROM per_pdu p JOIN racks r ON r.id = p.rack_id
      GROUP BY r.id, r.name, r.max_power_kw`,
    [rule.metric ?? 'pdu_power_w', stalenessMs, remoteWritePreference()],
  );
  return rows.rows
    .filter((r) => holds(r.ratio, rule.comparator, rule.threshold))
    .map((r) => ({ entityKey: `rack:${r.rack_id}`, entityLabel: `rack ${r.name}`, seriesId: null, rackId: r.rack_id, value: r.ratio }));
}

async function targetDownFindings(db: pg.Pool | pg.PoolClient, rule: Rule): Promise<Finding[]> {
  const rows = await preparedQuery<{ id: number; url: string; down_s: number }>(
    db,
    `SELECT id, url, extract(epoch FROM now() - coalesce(last_success_at, created_at))::float8 AS down_s
       FROM scrape_targets
      WHERE enabled AND coalesce(last_success_at, created_at) < now() - make_interval(secs => greatest($1, 3 * interval_ms / 1000.0))`,
    [rule.durationS],
  );
  return rows.rows.map((r) => ({ entityKey: `target:${r.id}`, entityLabel: r.url, seriesId: null, rackId: null, value: r.down_s }));
}

export class AlertEvaluator {
  /** rule id + entity key → when the condition started holding. */
  private readonly pendingSince = new Map<string, number>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly stalenessMs: number,
  ) {}

  /** One evaluation of every enabled rule. Returns the number of transitions written. */
  async evaluate(nowMs = Date.now()): Promise<{ fired: number; resolved: number; skipped?: boolean }> {
    const client = await this.pool.connect();
    try {
      const locked = await preparedQuery<{ ok: boolean }>(client, 'SELECT pg_try_advisory_lock($1) AS ok', [EVALUATOR_LOCK_KEY]);
      if (!locked.rows[0]?.ok) return { fired: 0, resolved: 0, skipped: true };
      try {
        return await this.evaluateLocked(client, nowMs);
      } finally {
        await preparedQuery(client, 'SELECT pg_advisory_unlock($1)', [EVALUATOR_LOCK_KEY]);
      }
    } finally {
      client.release();
    }
  }

  private async evaluateLocked(client: pg.PoolClient, nowMs: number): Promise<{ fired: number; resolved: number }> {
    const rules = await preparedQuery<{ id: number; name: string; kind: AlertRuleKind; metric: string | null; comparator: '>' | '<'; threshold: number; duration_s: number; severity: AlertSeverity; description: string }>(
      client,
      'SELECT id, name, kind, metric, comparator, threshold, duration_s, severity, description FROM alert_rules WHERE enabled ORDER BY id',
    );
    const all: Rule[] = rules.rows.map((r) => ({ id: r.id, name: r.name, kind: r.kind, metric: r.metric, comparator: r.comparator, threshold: r.threshold, durationS: r.duration_s, severity: r.severity, description: r.description }));
    // Every rule's findings and open alerts are read first (a few statements for all rules), then written per rule.
    const threshold = await thresholdFindings(client, all.filter((r) => r.kind === 'threshold'), this.stalenessMs);
    const open = await preparedQuery<{ id: number; rule_id: number; entity_key: string }>(client, `SELECT id, rule_id, entity_key FROM alerts WHERE rule_id = ANY($1::int4[]) AND state <> 'resolved'`, [
      intArrayLiteral(all.map((r) => r.id)),
    ]);
    let fired = 0;
    let resolved = 0;
    for (const rule of all) {
      const findings =
        rule.kind === 'threshold'
          ? threshold.get(rule.id)!
          : rule.kind === 'rack-power-budget'
            ? await rackPowerFindings(client, rule, this.stalenessMs)
            : await targetDownFindings(client, rule);
      const holding = new Map(findings.map((f) => [f.entityKey, f]));
      // Pending → firing once the condition has held for the duration (target-down measures its own duration).
      for (const f of findings) {
        const key = `${rule.id}|${f.entityKey}`;
        const since = this.pendingSince.get(key) ?? nowMs;
        this.pendingSince.set(key, since);
        const heldS = rule.kind === 'target-down' ? Number.POSITIVE_INFINITY : (nowMs - since) / 1000;
        if (heldS < rule.durationS) continue;
        const inserted = await client.query<{ id: number }>(
          `INSERT INTO alerts (rule_id, entity_key, entity_label, series_id, rack_id, state, value, started_at)
           VALUES ($1, $2, $3, $4, $5, 'firing', $6, now())
           ON CONFLICT (rule_id, entity_key) WHERE state <> 'resolved' DO UPDATE SET value = excluded.value, updated_at = now()
           RETURNING id, (xmax = 0) AS created`,
          [rule.id, f.entityKey, f.entityLabel, f.seriesId, f.rackId, f.value],
        );
        const row = inserted.rows[0] as { id: number; created: boolean } | undefined;
        if (row?.created) {
          await client.query(`INSERT INTO alert_events (alert_id, state, value) VALUES ($1, 'firing', $2)`, [row.id, f.value]);
          fired++;
        }
      }
      for (const key of [...this.pendingSince.keys()]) {
        const [ruleId, entityKey] = [Number(key.slice(0, key.indexOf('|'))), key.slice(key.indexOf('|') + 1)];
        if (ruleId === rule.id && !holding.has(entityKey)) this.pendingSince.delete(key);
      }
      // Open alerts of this rule whose condition no longer holds (or whose data went stale) resolve.
      for (const a of open.rows) {
        if (a.rule_id !== rule.id || holding.has(a.entity_key)) continue;
        await client.query(`UPDATE alerts SET state = 'resolved', resolved_at = now(), updated_at = now() WHERE id = $1`, [a.id]);
        await client.query(`INSERT INTO alert_events (alert_id, state) VALUES ($1, 'resolved')`, [a.id]);
        resolved++;
      }
    }
    if (fired + resolved > 0) await client.query('SELECT pg_notify($1, $2)', [ALERT_CHANNEL, JSON.stringify({ fired, resolved })]);
    return { fired, resolved };
  }
}

/** Acknowledges a firing alert. Returns false when it is not firing (already acknowledged or resolved). */
export async function acknowledgeAlert(pool: pg.Pool, alertId: number, actor: string): Promise<boolean> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const updated = await client.query(
      `UPDATE alerts SET state = 'acknowledged', acknowledged_at = now(), acknowledged_by = $2, updated_at = now() WHERE id = $1 AND state = 'firing'`,
      [alertId, actor],
    );
    if (updated.rowCount === 1) {
      await client.query(`INSERT INTO alert_events (alert_id, state, actor) VALUES ($1, 'acknowledged', $2)`, [alertId, actor]);
      await client.query('SELECT pg_notify($1, $2)', [ALERT_CHANNEL, JSON.stringify({ acknowledged: alertId })]);
    }
    await client.query('COMMIT');
    return updated.rowCount === 1;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
