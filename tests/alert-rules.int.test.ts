/**
 * The alert evaluator on latest values written as a flush writes them (latest-store.ts): every threshold rule is read in
 * one statement, so two rules on one metric, both comparators, stale readings and NaN are checked here on real rows,
 * with firing after the rule's duration and resolving when the reading drops.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedIfEmpty } from '../src/server/db/seed';
import { AlertEvaluator, ensureDefaultRules } from '../src/server/services/telemetry/alerts';
import { LatestValues } from '../src/server/services/telemetry/latest-store';
import { createTestDatabase, type TestDatabase } from './db';

describe('alert evaluation of threshold rules', () => {
  let db: TestDatabase;
  const series: Record<string, number> = {};
  /** The rack each inlet series reads (an alert on a rack series is labelled with the rack's name). */
  const rackOf: Record<string, string> = {};

  async function write(readings: Record<string, { value: number; ageMs?: number }>): Promise<void> {
    const latest = new LatestValues();
    const now = Date.now();
    for (const [name, r] of Object.entries(readings)) latest.add(series[name]!, now - (r.ageMs ?? 0), r.value);
    const client = await db.pool.connect();
    try {
      await latest.write(client);
    } finally {
      client.release();
    }
  }

  async function firing(): Promise<string[]> {
    const rows = await db.pool.query<{ rule: string; label: string }>(
      `SELECT r.name AS rule, a.entity_label AS label FROM alerts a JOIN alert_rules r ON r.id = a.rule_id WHERE a.state = 'firing' ORDER BY 1, 2`,
    );
    return rows.rows.map((r) => `${r.rule}: ${r.label}`);
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedIfEmpty(db.db, 'demo');
    await ensureDefaultRules(db.pool);
    const racks = (await db.pool.query<{ id: number; name: string }>(`SELECT id, name FROM racks ORDER BY name LIMIT 5`)).rows;
    const unit = (await db.pool.query<{ id: number; name: string }>(`SELECT id, name FROM cooling_units ORDER BY name LIMIT 1`)).rows[0]!;
    const add = async (name: string, metric: string, kind: 'rack' | 'cooling-unit', entityId: number) => {
      const row = await db.pool.query<{ id: number }>(
        `INSERT INTO telemetry_series (series_key, metric, unit, labels, entity_kind, rack_id, cooling_unit_id) VALUES ($1, $2, 'C', '{}'::jsonb, $3, $4, $5) RETURNING id`,
        [`${metric}|${name}`, metric, kind, kind === 'rack' ? entityId : null, kind === 'cooling-unit' ? entityId : null],
      );
      series[name] = row.rows[0]!.id;
    };
    for (const [i, name] of ['cool', 'warm', 'hot', 'stale', 'nan'].entries()) {
      await add(name, 'rack_inlet_temp_c', 'rack', racks[i]!.id);
      rackOf[name] = racks[i]!.name;
    }
    await add('crah', 'plenum_cooling_unit_running', 'cooling-unit', unit.id);
  });
  afterAll(() => db.drop());

  it('fires each rule of a shared metric for its own readings after the duration, never on stale readings or NaN; a dropped reading resolves', async () => {
    await write({ cool: { value: 25 }, warm: { value: 29 }, hot: { value: 33 }, stale: { value: 40, ageMs: 120_000 }, nan: { value: Number.NaN }, crah: { value: 0 } });
    const evaluator = new AlertEvaluator(db.pool, 60_000);
    const t0 = Date.now();
    // The cooling rule has no duration: it fires at once; the inlet rules (30 s) are pending.
    expect(await evaluator.evaluate(t0)).toEqual({ fired: 1, resolved: 0 });
    expect((await firing()).map((f) => f.split(':')[0])).toEqual(['Cooling unit failed']);
    expect(await evaluator.evaluate(t0 + 31_000)).toEqual({ fired: 3, resolved: 0 });
    const [warmRack, hotRack] = [rackOf.warm!, rackOf.hot!];
    const fired = await firing();
    expect(fired.filter((f) => f.startsWith('Rack inlet above 27')).map((f) => f.split(': ')[1]).sort()).toEqual([warmRack, hotRack].sort());
    expect(fired.filter((f) => f.startsWith('Rack inlet above 32')).map((f) => f.split(': ')[1])).toEqual([hotRack]);
    // The hot rack cools below both thresholds, the unit runs again: three alerts resolve, the warm one stays.
    await write({ hot: { value: 26 }, warm: { value: 29 }, crah: { value: 1 } });
    expect(await evaluator.evaluate(t0 + 41_000)).toEqual({ fired: 0, resolved: 3 });
    expect(await firing()).toEqual([`Rack inlet above 27 °C: ${warmRack}`]);
  });
});
