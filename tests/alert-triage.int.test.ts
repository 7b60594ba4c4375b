import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaller } from '../src/server/api/root';
import { createContext } from '../src/server/api/trpc';
import { seedIfEmpty } from '../src/server/db/seed';
import { submitJob } from '../src/server/services/scheduler';
import { ensureDefaultRules } from '../src/server/services/telemetry/alerts';
import { createTestDatabase, type TestDatabase } from './db';
import { fieldErrors } from './field-errors';

/**
 * Alert triage on the demo seed: Hall A's CRAHs serve the whole hall. Alerts are written as the evaluator writes them
 * (one row per rule and entity, on a mapped series), so the grouping, links and bulk actions are checked on real rows.
 */
describe('alert triage', () => {
  let database: TestDatabase;
  let caller: ReturnType<typeof createCaller>;
  const ids: Record<string, number> = {};
  const one = async <T>(query: ReturnType<typeof sql>) => (await database.db.execute(query)).rows[0] as T;

  async function fire(name: string, rule: string, series: { metric: string; unit: string; rackId?: number | null; coolingUnitId?: number | null }, startedAt: string, label: string) {
    const { id: seriesId } = await one<{ id: number }>(sql`
      INSERT INTO telemetry_series (series_key, metric, unit, labels, entity_kind, rack_id, cooling_unit_id)
      VALUES (${`${series.metric}|${name}`}, ${series.metric}, ${series.unit}, '{}'::jsonb, ${series.coolingUnitId ? 'cooling-unit' : 'rack'}, ${series.rackId ?? null}, ${series.coolingUnitId ?? null})
      RETURNING id`);
    const { id } = await one<{ id: number }>(sql`
      INSERT INTO alerts (rule_id, entity_key, entity_label, series_id, rack_id, state, value, started_at)
      VALUES ((SELECT id FROM alert_rules WHERE name = ${rule}), ${`series:${seriesId}`}, ${label}, ${seriesId}, ${series.rackId ?? null}, 'firing', 30, ${startedAt}::timestamptz)
      RETURNING id`);
    ids[name] = id;
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    await seedIfEmpty(database.db, 'demo');
    await ensureDefaultRules(database.pool);
    caller = createCaller(createContext(database));
    const rack = async (name: string) => (await one<{ id: number }>(sql`SELECT id FROM racks WHERE name = ${name}`)).id;
    const unit = async (name: string) => (await one<{ id: number }>(sql`SELECT id FROM cooling_units WHERE name = ${name}`)).id;
    await fire('inlet-a1-02', 'Rack inlet above 27 °C', { metric: 'rack_inlet_temp_c', unit: 'C', rackId: await rack('A1-02') }, '2026-12-04T10:00:00Z', 'A1-02 inlet');
    await fire('inlet-a1-10', 'Rack inlet above 27 °C', { metric: 'rack_inlet_temp_c', unit: 'C', rackId: await rack('A1-01') }, '2026-12-04T10:00:00Z', 'A1-01 inlet');
    await fire('inlet-b1', 'Rack inlet above 27 °C', { metric: 'rack_inlet_temp_c', unit: 'C', rackId: await rack('B1-01') }, '2026-12-04T09:59:00Z', 'B1-01 inlet');
    await fire('crah-a10', 'Cooling unit failed', { metric: 'plenum_cooling_unit_running', unit: 'bool', coolingUnitId: await unit('CRAH A-2') }, '2026-12-04T10:05:00Z', 'CRAH A-2');
    await fire('crah-a1', 'Cooling unit failed', { metric: 'plenum_cooling_unit_running', unit: 'bool', coolingUnitId: await unit('CRAH A-1') }, '2026-12-04T10:05:00Z', 'CRAH A-1');
    // A running job on A1-01's first server.
    const job = await submitJob(database.db, { name: 'train-1', kind: 'training', tenant: 'research', gpusPerWorker: 1 });
    await database.db.execute(sql`UPDATE jobs SET status = 'running' WHERE id = ${job.id}`);
    await database.db.execute(sql`
      INSERT INTO gpu_allocations (job_id, worker, accelerator_id, milli)
      SELECT ${job.id}, 0, a.id, 1000 FROM accelerators a JOIN devices d ON d.id = a.device_id WHERE d.name = 'a1-01-gpu1' AND a.index = 0`);
  });
  afterAll(() => database.drop());

  it('puts the cooling failures first, each with the inlet alerts of the racks it serves, and links racks, jobs and a runbook', async () => {
    const triage = await caller.alerts.triage();
    // Critical first; both failures started together, so by name (CRAH A-1 before CRAH A-2); the Hall B inlet stands alone.
    expect(triage.groups.map((g) => [g.alert.entityLabel, g.explained.map((e) => e.entityLabel)])).toEqual([
      ['CRAH A-1', ['A1-01 inlet', 'A1-02 inlet']],
      ['CRAH A-2', []],
      ['B1-01 inlet', []],
    ]);
    const crah = triage.groups[0]!.alert;
    expect(crah.racks.map((r) => r.name)).toContain('A1-01');
    expect(crah.racks.map((r) => r.name)).not.toContain('B1-01');
    // Rack names in natural order (numbers compare as numbers).
    expect(crah.racks.map((r) => r.name).indexOf('A1-02')).toBeLessThan(crah.racks.map((r) => r.name).indexOf('A1-08'));
    expect(crah.jobs.map((j) => j.name)).toEqual(['train-1']);
    expect(crah.runbook).toContain('redundancy group');
    const inlet = triage.groups[0]!.explained[0]!;
    expect(inlet.racks.map((r) => r.name)).toEqual(['A1-01']);
    expect(inlet.jobs.map((j) => j.name)).toEqual(['train-1']);
    expect(triage.groups[2]!.alert.jobs).toEqual([]);
  });

  it('acknowledges a group in one go with a note, kept on each alert and in its history', async () => {
    const result = await caller.alerts.ackMany({ ids: [ids['crah-a1']!, ids['inlet-a1-02']!, ids['inlet-a1-10']!], note: 'CRAH A-1 compressor tripped; vendor on site' });
    expect(result).toEqual({ acknowledged: [ids['inlet-a1-02'], ids['inlet-a1-10'], ids['crah-a1']].sort((a, b) => a! - b!), skipped: [] });
    const rows = (await database.db.execute(sql`SELECT state, ack_note FROM alerts WHERE id IN (${ids['crah-a1']}, ${ids['inlet-a1-02']})`)).rows;
    expect(rows).toEqual([
      { state: 'acknowledged', ack_note: 'CRAH A-1 compressor tripped; vendor on site' },
      { state: 'acknowledged', ack_note: 'CRAH A-1 compressor tripped; vendor on site' },
    ]);
    const events = (await database.db.execute(sql`SELECT state, note FROM alert_events WHERE alert_id = ${ids['crah-a1']}`)).rows;
    expect(events).toEqual([{ state: 'acknowledged', note: 'CRAH A-1 compressor tripped; vendor on site' }]);
    // Again: nothing left firing among them.
    expect(await fieldErrors(caller.alerts.ackMany({ ids: [ids['crah-a1']!] }))).toEqual({ ids: 'none of these alerts is firing' });
  });

  it('silences for a duration: out of the open list until then, with who and why in the history', async () => {
    expect(await fieldErrors(caller.alerts.silence({ ids: [ids['inlet-b1']!], duration: 'soon' }))).toEqual({ duration: 'not a duration: "soon" (use e.g. 500ms, 10s, 5m, 2h, 7d)' });
    expect(await fieldErrors(caller.alerts.silence({ ids: [ids['inlet-b1']!], duration: '30d' }))).toEqual({ duration: 'must be between 1m and 7d' });
    const result = await caller.alerts.silence({ ids: [ids['inlet-b1']!], duration: '2h', note: 'B1 containment door open for works' });
    expect(result.ids).toEqual([ids['inlet-b1']]);
    expect(new Date(result.until).getTime() - Date.now()).toBeGreaterThan(2 * 3_600_000 - 60_000);
    const triage = await caller.alerts.triage();
    expect(triage.groups.map((g) => g.alert.entityLabel)).not.toContain('B1-01 inlet');
    expect(triage.silenced.map((a) => a.entityLabel)).toEqual(['B1-01 inlet']);
    const [event] = (await database.db.execute(sql`SELECT note FROM alert_events WHERE alert_id = ${ids['inlet-b1']}`)).rows as { note: string }[];
    expect(event!.note).toMatch(/^silenced until \d{4}-\d\d-\d\dT.*: B1 containment door open for works$/);
  });
});
