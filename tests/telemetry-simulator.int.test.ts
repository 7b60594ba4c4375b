/**
 * The live loop end to end, without a browser: the simulator built from the demo seed serves exporter text over HTTP,
 * registers itself as scrape targets, the scraper ingests it, faults change the readings, alerts fire and resolve,
 * and a GPU fault marks the accelerator failed in the inventory.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedIfEmpty } from '../src/server/db/seed';
import { latestReadings, powerDashboard, upsOnBattery } from '../src/server/services/dashboards';
import { SimulatorHost } from '../src/server/services/simulator-host';
import { AlertEvaluator, acknowledgeAlert } from '../src/server/services/telemetry/alerts';
import { telemetrySettings } from '../src/server/services/telemetry/config';
import { createTelemetry, type TelemetryRuntime } from '../src/server/services/telemetry/index';
import { queryTelemetry } from '../src/server/services/telemetry/query';
import { loadSimInventory } from '../src/server/services/telemetry/sim-inventory';
import { createTestDatabase, type TestDatabase } from './db';

let db: TestDatabase;
let telemetry: TelemetryRuntime;
let sim: SimulatorHost;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, f: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

beforeAll(async () => {
  db = await createTestDatabase();
  await seedIfEmpty(db.db, 'demo');
  telemetry = await createTelemetry(db.pool, { ...telemetrySettings({}), flushIntervalMs: 200, scrapeConcurrency: 32 });
  sim = new SimulatorHost(db.pool, { accel: 30, seed: 5, port: 0, host: '127.0.0.1', scrapeIntervalMs: 1_000, inventoryRefreshMs: 60_000 });
  await sim.start();
});

afterAll(async () => {
  await sim?.stop();
  await telemetry?.scraper.stop();
  await telemetry?.ingest.stop();
  await db?.drop();
});

const latest = async (metric: string, entity: string) => {
  const r = await queryTelemetry(db.pool, { metric, entity, sinceMs: 60_000 });
  return r.series.map((s) => s.points.at(-1)?.v).filter((v): v is number => v !== undefined);
};

describe('live simulator → scrape → ingest → alerts', () => {
  it('registers one target per GPU host, the facility endpoint, one SNMP agent per UPS and rack PDU, the Redfish service and a Modbus target per air unit, and scrapes them all', async () => {
    const targets = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM scrape_targets WHERE managed_by = 'simulator'`);
    // The simulated UPSs and rack PDUs: those of the inventory the simulator models (racks in service, rated).
    const inventory = await loadSimInventory(db.pool);
    const devices = inventory.sites.flatMap((site) => [...(site.upses ?? []), ...site.halls.flatMap((h) => h.racks.flatMap((r) => r.pdus))]);
    expect(devices.length).toBeGreaterThan(2);
    expect(sim.status().snmpAgents).toBe(devices.length);
    // Plus a Modbus TCP target per air cooling unit (CRAH, CRAC, in-row, rear door), read by the modbus collector.
    const airUnits = inventory.sites.flatMap((site) => (site.coolingUnits ?? []).filter((u) => u.kind !== 'cdu'));
    expect(airUnits.length).toBeGreaterThan(0);
    expect(targets.rows[0]!.n).toBe(sim.status().hosts + 2 + sim.status().snmpAgents + airUnits.length);
    const modbus = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM scrape_targets WHERE managed_by = 'simulator' AND dialect = 'modbus' AND cooling_unit_id IS NOT NULL`);
    expect(modbus.rows[0]!.n).toBe(airUnits.length);
    await waitFor('every target scraped', async () => {
      const r = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM scrape_targets WHERE last_success_at IS NULL`);
      return r.rows[0]!.n === 0;
    });
    const power = await waitFor('GPU power of a1-01-gpu1', async () => {
      const v = await latest('gpu_power_w', 'a1-01-gpu1');
      return v.length === 8 ? v : undefined;
    });
    expect(power.every((w) => w > 50 && w < 800)).toBe(true);
    // The MI300X hosts are scraped as AMD Device Metrics Exporters, and their GPU power lands per GPU.
    const amd = await db.pool.query<{ url: string }>(`SELECT url FROM scrape_targets WHERE managed_by = 'simulator' AND dialect = 'amd' ORDER BY url`);
    expect(amd.rows.map((t) => t.url.replace(/^.*\/hosts\//, ''))).toEqual(['a3-01-mi300x1/metrics', 'a3-01-mi300x2/metrics', 'a3-01-mi300x3/metrics', 'a3-01-mi300x4/metrics']);
    const amdPower = await waitFor('GPU power of a3-01-mi300x4', async () => {
      const v = await latest('gpu_power_w', 'a3-01-mi300x4');
      return v.length === 8 ? v : undefined;
    });
    expect(amdPower.every((w) => w > 50 && w < 800)).toBe(true);
    // CRAH return air temperature comes only over Modbus (the plenum text has none): the collector ran end to end.
    const crahReturn = await waitFor('CRAH A-1 return air over Modbus', async () => {
      const r = await db.pool.query<{ value: number; dialect: string }>(
        `SELECT v.value, t.dialect FROM telemetry_series s
           JOIN cooling_units cu ON cu.id = s.cooling_unit_id AND cu.name = 'CRAH A-1'
           JOIN scrape_targets t ON t.id = s.target_id
           JOIN LATERAL (SELECT value FROM telemetry_samples WHERE series_id = s.id ORDER BY ts DESC LIMIT 1) v ON true
          WHERE s.metric = 'crah_return_temp_c'`,
      );
      return r.rows.length === 1 ? r.rows.map((row) => row.value) : undefined;
    });
    expect(crahReturn[0]).toBeGreaterThan(15);
    expect(crahReturn[0]).toBeLessThan(60);
  });

  it('CDU coolant readings arrive over Redfish through the redfish collector, not from the facility text', async () => {
    const target = await db.pool.query<{ id: number }>(`SELECT id FROM scrape_targets WHERE managed_by = 'simulator' AND dialect = 'redfish'`);
    expect(target.rows).toHaveLength(1);
    const cdu = (await db.pool.query<{ id: number; name: string }>(`SELECT id, name FROM cooling_units WHERE kind = 'cdu' ORDER BY id LIMIT 1`)).rows[0]!;
    const supply = await waitFor('CDU supply temperature', async () => {
      await telemetry.ingest.flush();
      const r = await db.pool.query<{ value: number }>(
        `SELECT v.value FROM telemetry_series s JOIN telemetry_samples v ON v.series_id = s.id
          WHERE s.cooling_unit_id = $1 AND s.metric = 'cdu_supply_temp_c' ORDER BY v.ts DESC LIMIT 1`,
        [cdu.id],
      );
      return r.rows[0];
    });
    expect(supply.value).toBeGreaterThan(15);
    expect(supply.value).toBeLessThan(45);
    const sources = await db.pool.query<{ metric: string; target_id: number }>(
      `SELECT DISTINCT metric, target_id FROM telemetry_series WHERE cooling_unit_id = $1 AND metric IN ('cdu_supply_temp_c', 'cdu_heat_removed_w', 'cdu_flow_l_per_min')`,
      [cdu.id],
    );
    expect(new Set(sources.rows.map((r) => r.target_id))).toEqual(new Set([target.rows[0]!.id]));
    expect(new Set(sources.rows.map((r) => r.metric))).toEqual(new Set(['cdu_supply_temp_c', 'cdu_heat_removed_w', 'cdu_flow_l_per_min']));
  });

  it('a GPU XID fault marks the accelerator failed and fires the XID alert; clearing resolves it', async () => {
    const gpu = await db.pool.query<{ uuid: string }>(`SELECT a.uuid FROM accelerators a JOIN devices d ON d.id = a.device_id WHERE d.hostname = 'a1-02-gpu1' AND a.index = 3`);
    const uuid = gpu.rows[0]!.uuid;
    const fault = await sim.inject('gpu-xid', uuid, { xid: 48 });
    expect((await db.pool.query(`SELECT health FROM accelerators WHERE uuid = $1`, [uuid])).rows[0]).toEqual({ health: 'failed' });
    const evaluator = new AlertEvaluator(db.pool, 60_000);
    const alert = await waitFor('XID alert', async () => {
      await evaluator.evaluate();
      const r = await db.pool.query<{ id: number; state: string; entity_label: string }>(
        `SELECT a.id, a.state, a.entity_label FROM alerts a JOIN alert_rules r ON r.id = a.rule_id WHERE r.name = 'GPU XID error' AND a.state <> 'resolved'`,
      );
      return r.rows[0];
    });
    expect(alert.entity_label).toContain(uuid);
    expect(await acknowledgeAlert(db.pool, alert.id, 'tester')).toBe(true);
    expect(await acknowledgeAlert(db.pool, alert.id, 'tester')).toBe(false);
    await sim.clear(fault.id);
    expect((await db.pool.query(`SELECT health FROM accelerators WHERE uuid = $1`, [uuid])).rows[0]).toEqual({ health: 'healthy' });
    await waitFor('XID alert resolved', async () => {
      await evaluator.evaluate();
      const r = await db.pool.query<{ state: string }>('SELECT state FROM alerts WHERE id = $1', [alert.id]);
      return r.rows[0]!.state === 'resolved';
    });
    const events = await db.pool.query<{ state: string; actor: string }>('SELECT state, actor FROM alert_events WHERE alert_id = $1 ORDER BY id', [alert.id]);
    expect(events.rows).toEqual([
      { state: 'firing', actor: 'system' },
      { state: 'acknowledged', actor: 'tester' },
      { state: 'resolved', actor: 'system' },
    ]);
  });

  it('a cooling failure in hall A raises rack inlet temperatures and fires the cooling-unit alert', async () => {
    const before = Math.max(...(await latest('rack_inlet_temp_c', 'A1-01')));
    const faults = [];
    for (const unit of ['CRAH A-1', 'CRAH A-2', 'CRAH A-3']) faults.push(await sim.inject('cooling-unit-failure', unit));
    const evaluator = new AlertEvaluator(db.pool, 60_000);
    await waitFor('cooling unit alerts', async () => {
      await evaluator.evaluate();
      const r = await db.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM alerts a JOIN alert_rules r ON r.id = a.rule_id WHERE r.name = 'Cooling unit failed' AND a.state = 'firing'`,
      );
      return r.rows[0]!.n === 3;
    });
    await waitFor('inlet temperature rise', async () => Math.max(...(await latest('rack_inlet_temp_c', 'A1-01'))) > before + 2, 90_000);
    for (const f of faults) await sim.clear(f.id);
    await waitFor('cooling alerts resolved', async () => {
      await evaluator.evaluate();
      const r = await db.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM alerts a JOIN alert_rules r ON r.id = a.rule_id WHERE r.name = 'Cooling unit failed' AND a.state <> 'resolved'`,
      );
      return r.rows[0]!.n === 0;
    });
  });
});

describe('UPSs and rack PDUs over SNMP', () => {
  const siteId = async () => (await db.pool.query<{ id: number }>(`SELECT id FROM sites WHERE slug = 'ams-ai-1'`)).rows[0]!.id;
  const reading = async (metric: string, node: string) => {
    const rows = await latestReadings(db.pool, await siteId(), [metric]);
    const id = (await db.pool.query<{ id: number }>('SELECT id FROM power_nodes WHERE name = $1', [node])).rows[0]!.id;
    return rows.find((r) => r.powerNodeId === id)?.value;
  };

  it('every UPS and rack PDU target names its profile and power node; their readings land on the power nodes', async () => {
    const targets = await db.pool.query<{ profile: string; kind: string; url: string }>(
      `SELECT t.options->>'profile' AS profile, pn.kind, t.url FROM scrape_targets t JOIN power_nodes pn ON pn.id = t.power_node_id
        WHERE t.managed_by = 'simulator' AND t.dialect = 'snmp'`,
    );
    expect(targets.rows.length).toBe(sim.status().snmpAgents);
    for (const t of targets.rows) expect(t.profile).toBe(t.kind === 'ups' ? 'ups-mib' : 'apc-rpdu2');
    expect(new Set(targets.rows.map((t) => t.url)).size).toBe(targets.rows.length);
    const pdu = (await db.pool.query<{ name: string }>(`SELECT name FROM power_nodes WHERE kind = 'rack-pdu' AND capacity_kw > 0 ORDER BY id LIMIT 1`)).rows[0]!.name;
    await waitFor('UPS A load over SNMP', async () => ((await reading('ups_load_w', 'UPS A')) ?? 0) > 0);
    await waitFor(`${pdu} power over SNMP`, async () => ((await reading('pdu_power_w', pdu)) ?? 0) > 0);
    // The facility text no longer carries UPS or PDU series: each quantity has one source, the SNMP agent.
    const textSeries = await db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM telemetry_series s JOIN scrape_targets t ON t.id = s.target_id WHERE t.dialect = 'plenum' AND s.metric IN ('ups_load_w', 'ups_on_battery', 'pdu_power_w')`,
    );
    expect(textSeries.rows[0]!.n).toBe(0);
  });

  it("a network rack's switches and storage draw their typical power through its rack PDUs, so the rack reads measured", async () => {
    // A1-NET holds only equipment without GPUs: IB leaves and spines (QM9700, 1.1 kW typical), a storage leaf, a DBox.
    const expected = (
      await db.pool.query<{ w: number }>(
        `SELECT sum(dt.typical_power_w)::float8 AS w FROM devices d JOIN device_types dt ON dt.id = d.device_type_id JOIN racks r ON r.id = d.rack_id
          WHERE r.name = 'A1-NET' AND d.status IN ('active', 'maintenance')`,
      )
    ).rows[0]!.w;
    expect(expected).toBeGreaterThan(4 * 1_100);
    const inventory = await loadSimInventory(db.pool);
    const net = inventory.sites.flatMap((site) => site.halls.flatMap((h) => h.racks)).find((r) => r.id === 'A1-NET')!;
    expect(net.servers).toEqual([]);
    expect(net.steadyLoads!.reduce((sum, l) => sum + l.typicalKw * 1000, 0)).toBeCloseTo(expected, 6);
    const pdus = (await db.pool.query<{ name: string }>(`SELECT pn.name FROM power_nodes pn JOIN racks r ON r.id = pn.rack_id WHERE r.name = 'A1-NET' AND pn.kind = 'rack-pdu'`)).rows;
    expect(pdus.length).toBe(2);
    const measured = await waitFor('A1-NET PDUs over SNMP', async () => {
      const values = await Promise.all(pdus.map((p) => reading('pdu_power_w', p.name)));
      return values.every((v) => v !== undefined && v > 0) ? values.reduce((a, b) => a! + b!, 0)! : undefined;
    });
    // The rPDU2 agent reports whole watts (hundredths of kW on some OIDs): the two feeds sum to the typical draw.
    expect(measured).toBeGreaterThan(expected * 0.98);
    expect(measured).toBeLessThan(expected * 1.02);
    const dashboard = await powerDashboard(db.db, db.pool, await siteId());
    const rack = dashboard.racks.find((r) => r.name === 'A1-NET')!;
    expect(rack.measuredW).not.toBeNull();
    expect(rack.measuredW!).toBeGreaterThan(expected * 0.98);
  });

  it('a UPS pulled onto battery reads on battery over UPS-MIB, fires the alert and shows on the power chain; clearing ends it', async () => {
    expect(await reading('ups_on_battery', 'UPS A')).toBe(0);
    const fault = await sim.inject('ups-on-battery', 'UPS A');
    await waitFor('UPS A on battery over SNMP', async () => (await reading('ups_on_battery', 'UPS A')) === 1);
    expect(await reading('ups_on_battery', 'UPS B')).toBe(0);
    const onBattery = await upsOnBattery(db.pool, await siteId());
    expect(onBattery.map((u) => u.name)).toEqual(['UPS A']);
    expect(onBattery[0]!.chargePct).toBeGreaterThan(0);
    const evaluator = new AlertEvaluator(db.pool, 60_000);
    await waitFor('UPS on battery alert', async () => {
      await evaluator.evaluate();
      const r = await db.pool.query<{ entity_label: string }>(
        `SELECT a.entity_label FROM alerts a JOIN alert_rules r ON r.id = a.rule_id WHERE r.name = 'UPS on battery' AND a.state = 'firing'`,
      );
      return r.rows.some((a) => a.entity_label.includes('UPS A'));
    });
    await sim.clear(fault.id);
    await waitFor('UPS A back on utility', async () => (await reading('ups_on_battery', 'UPS A')) === 0);
    expect(await upsOnBattery(db.pool, await siteId())).toEqual([]);
    await waitFor('UPS on battery alert resolved', async () => {
      await evaluator.evaluate();
      const r = await db.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM alerts a JOIN alert_rules r ON r.id = a.rule_id WHERE r.name = 'UPS on battery' AND a.state <> 'resolved'`,
      );
      return r.rows[0]!.n === 0;
    });
  });
});

describe('the simulator runs the jobs the scheduler placed', () => {
  it('drives a training job’s GPUs to their power cap and hands them back when it ends', async () => {
    const host = 'a1-02-gpu1';
    const idle = await waitFor('power of an unscheduled host', async () => {
      const v = await latest('gpu_power_w', host);
      return v.length === 8 ? v : undefined;
    });
    // Precondition: the background profile (seeded) leaves some of these GPUs below the cap, so the job must raise them.
    expect(idle.some((w) => w < 600)).toBe(true);
    const tenant = await db.pool.query<{ id: number }>(`INSERT INTO tenants (name, gpu_quota) VALUES ('sim-test', 64) RETURNING id`);
    const job = await db.pool.query<{ id: number }>(
      `INSERT INTO jobs (name, kind, tenant_id, gpus_per_worker, cpu_milli, memory_mib, expected_power_w_per_gpu, status)
       VALUES ('sim-train', 'training', $1, 8, 1000, 1024, 700, 'running') RETURNING id`,
      [tenant.rows[0]!.id],
    );
    await db.pool.query(
      `INSERT INTO gpu_allocations (job_id, worker, accelerator_id, milli)
       SELECT $1, 0, a.id, 1000 FROM accelerators a JOIN devices d ON d.id = a.device_id WHERE d.name = $2`,
      [job.rows[0]!.id, host],
    );
    expect(await sim.applyJobWorkloads()).toBe(8);
    // Compute-bound at full share: the calibrated model runs at the 700 W cap (~690 W), whatever the background load was.
    const loaded = await waitFor('GPUs at their power cap', async () => {
      const v = await latest('gpu_power_w', host);
      return v.length === 8 && v.every((w) => w > 600) ? v : undefined;
    });
    expect(Math.min(...loaded)).toBeGreaterThan(600);

    await db.pool.query(`UPDATE jobs SET status = 'succeeded' WHERE id = $1`, [job.rows[0]!.id]);
    await db.pool.query(`UPDATE gpu_allocations SET released_at = now() WHERE job_id = $1`, [job.rows[0]!.id]);
    expect(await sim.applyJobWorkloads()).toBe(0);
  });
});
