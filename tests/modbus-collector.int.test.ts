/**
 * The modbus collector against a real Modbus TCP server (jsmodbus's, wrapped by the simulator's multi-unit server)
 * serving register images built from the shipped maps' encode side: Plenum reads them back through the collector,
 * follows changes, and gives each bad device a clear error of its own without holding up the others.
 */
import net from 'node:net';
import { Writable } from 'node:stream';
import { createHTTPServer } from '@trpc/server/adapters/standalone';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleInventory } from '../simulator/example-inventory';
import { coolingUnitIds, coolingUnitMapName, coolingUnitPointValue, MODBUS_EXCEPTION, ModbusTcpServer, simulatorModbusServer, type UnitAnswer } from '../simulator/protocols/modbus-server';
import { World } from '../simulator/world';
import { modbusCollector, modbusEndpoint } from '@/server/services/telemetry/collectors/modbus';
import type { CollectContext, CollectorTarget } from '@/server/services/telemetry/collectors/types';
import { TargetGuard } from '@/server/services/telemetry/target-guard';
import { decodePoint, encodePoint, encodeImage, loadRegisterMap, type RegisterPoint } from '@/telemetry/modbus/register-map';
import { TRPCError } from '@trpc/server';
import { main } from '../src/cli/main';
import { appRouter, createCaller } from '../src/server/api/root';
import { createContext } from '../src/server/api/trpc';
import { IngestPipeline } from '../src/server/services/telemetry/ingest';
import { maintainPartitions } from '../src/server/services/telemetry/partitions';
import { Scraper } from '../src/server/services/telemetry/scraper';
import { freePort } from './daemon';
import { createTestDatabase } from './db';

const cdu = loadRegisterMap('generic-cdu');
const meter = loadRegisterMap('generic-power-meter');

/** What the test's devices hold: changed by the tests, encoded at each request as a device would. */
const cduValues: Record<string, number> = {
  cdu_supply_temp_c: 32.1,
  cdu_return_temp_c: 41.7,
  cdu_flow_l_per_min: Math.fround(412.5),
  cdu_supply_pressure_kpa: 281.3,
  cdu_differential_pressure_kpa: -2.5,
  cdu_pump_pct: 64.2,
  cdu_heat_removed_w: 286_000,
  cooling_unit_running: 1,
  'cooling_unit_alarm:leak_detected': 0,
  'cooling_unit_alarm:high_supply_temp': 1,
  'cooling_unit_alarm:low_flow': 0,
  'cooling_unit_alarm:pump_failure': 0,
};
const meterValues: Record<string, number> = {
  'meter_phase_voltage_v:L1': Math.fround(230.5),
  'meter_phase_voltage_v:L2': Math.fround(231.25),
  'meter_phase_voltage_v:L3': Math.fround(229.75),
  'meter_phase_current_a:L1': Math.fround(120.5),
  'meter_phase_current_a:L2': Math.fround(118),
  'meter_phase_current_a:L3': Math.fround(121.25),
  meter_power_w: Math.fround(82_500),
  meter_energy_kwh: 123_456.78,
};
const keyOf = (p: RegisterPoint) => [p.metric, p.labels.alarm ?? p.labels.phase].filter(Boolean).join(':');

/** Unit 1: the CDU; 2: the meter with its words low-first; 3-7: exceptions; 8: silent; others: nobody. */
const answers = new Map<number, () => UnitAnswer>([
  [1, () => ({ image: encodeImage(cdu, (p) => cduValues[keyOf(p)]) })],
  [2, () => ({ image: encodeImage({ ...meter, points: meter.points.map((p) => ({ ...p, wordOrder: 'little' })) }, (p) => meterValues[keyOf(p)]) })],
  [3, () => ({ exception: MODBUS_EXCEPTION.illegalFunction })],
  [4, () => ({ exception: MODBUS_EXCEPTION.illegalDataValue })],
  [5, () => ({ exception: MODBUS_EXCEPTION.deviceFailure })],
  [6, () => ({ exception: MODBUS_EXCEPTION.busy })],
  [7, () => ({ exception: MODBUS_EXCEPTION.gatewayPathUnavailable })],
  [8, () => 'silent'],
  // The CDU's registers with the map's last register missing: "illegal data address" as a real controller answers.
  [9, () => {
    const image = encodeImage(cdu, (p) => cduValues[keyOf(p)]);
    image.input.delete(8);
    return { image };
  }],
]);

const server = new ModbusTcpServer((unitId) => answers.get(unitId)?.());
let port = 0;
const guard = new TargetGuard('127.0.0.1');

const target = (over: Partial<CollectorTarget> & { options: Record<string, unknown> }): CollectorTarget => ({
  id: 1,
  url: `modbus://127.0.0.1:${port}`,
  dialect: 'modbus',
  timeoutMs: 2_000,
  credentials: {},
  facility: { name: 'cdu-a1', siteSlug: 'lab' },
  ...over,
});
const ctx = (): CollectContext => ({ signal: new AbortController().signal, guard, nowMs: 1_700_000_000_000 });
const valuesOf = (samples: { name: string; labels: Record<string, string>; value: number }[]) =>
  Object.fromEntries(samples.map((s) => [[s.name.replace(/^plenum_/, ''), s.labels.alarm ?? s.labels.phase].filter(Boolean).join(':'), s.value]));

beforeAll(async () => {
  port = await server.listen(0, '127.0.0.1');
});
afterAll(async () => {
  await server.close();
});

describe('modbus collector against a Modbus TCP server', () => {
  it('reads a CDU through the generic-cdu map: every point, labelled with the facility object', async () => {
    const samples = await modbusCollector.collect(target({ options: { map: 'generic-cdu', unitId: 1 } }), ctx());
    expect(samples).toHaveLength(cdu.points.length);
    for (const s of samples) {
      expect(s.labels.device).toBe('cdu-a1');
      expect(s.labels.site).toBe('lab');
      expect(s.timestampMs).toBe(1_700_000_000_000);
    }
    expect(valuesOf(samples)).toEqual(cduValues);
  });

  it('follows the device: a changed register reads the new value at the next collect', async () => {
    cduValues.cdu_supply_temp_c = 35.4;
    cduValues.cooling_unit_running = 0;
    const samples = await modbusCollector.collect(target({ options: { map: 'generic-cdu', unitId: 1 } }), ctx());
    expect(valuesOf(samples).cdu_supply_temp_c).toBe(35.4);
    expect(valuesOf(samples).cooling_unit_running).toBe(0);
  });

  it('a word-order override reads a meter that sends the low word first', async () => {
    const samples = await modbusCollector.collect(target({ options: { map: 'generic-power-meter', unitId: 2, wordOrder: 'little' } }), ctx());
    expect(valuesOf(samples)).toEqual(meterValues);
    // Without the override the same registers decode to other numbers: the override is what makes them right.
    const wrong = await modbusCollector.collect(target({ options: { map: 'generic-power-meter', unitId: 2 } }), ctx());
    expect(valuesOf(wrong).meter_power_w).not.toBe(meterValues.meter_power_w);
  });

  it('gives each Modbus exception code its meaning, naming the registers and the unit', async () => {
    const errorOf = (unitId: number) => modbusCollector.collect(target({ options: { map: 'generic-cdu', unitId } }), ctx()).then(() => 'no error', (e: Error) => e.message);
    expect(await errorOf(3)).toBe('Modbus exception 1 (illegal function: the device does not support this read) reading input registers 0-8 of unit 3');
    expect(await errorOf(9)).toMatch(/^Modbus exception 2 \(illegal data address: the device has no such register .*\) reading input registers 0-8 of unit 9$/);
    expect(await errorOf(4)).toMatch(/^Modbus exception 3 \(illegal data value/);
    expect(await errorOf(5)).toMatch(/^Modbus exception 4 \(device failure\) reading input registers 0-8 of unit 5$/);
    expect(await errorOf(6)).toMatch(/^Modbus exception 6 \(device busy\)/);
    expect(await errorOf(7)).toMatch(/^Modbus exception 10 \(gateway path unavailable/);
    expect(await errorOf(42)).toMatch(/^Modbus exception 11 \(gateway target failed to respond: no device answers at this unit id/);
  });

  it('a silent unit times out with a clear error, a closed port is refused, and neither holds up a good device', async () => {
    const closedPort = await freePort();
    const silent = modbusCollector.collect(target({ timeoutMs: 5_000, options: { map: 'generic-cdu', unitId: 8, requestTimeoutMs: 1_500 } }), ctx());
    const refused = modbusCollector.collect(target({ url: `modbus://127.0.0.1:${closedPort}`, options: { map: 'generic-cdu' } }), ctx());
    // The good device answers while the silent one is still waiting.
    const order: string[] = [];
    const good = modbusCollector.collect(target({ options: { map: 'generic-cdu', unitId: 1 } }), ctx()).then((s) => {
      order.push('good');
      return s;
    });
    const silentResult = silent.then(
      () => 'no error',
      (e: Error) => {
        order.push('silent');
        return e.message;
      },
    );
    expect(await refused.then(() => 'no error', (e: Error) => e.message)).toBe(`connection refused by 127.0.0.1:${closedPort} (no Modbus TCP server listening)`);
    expect((await good).length).toBe(cdu.points.length);
    expect(await silentResult).toBe('timed out after 1500 ms reading input registers 0-8 of unit 8: no Modbus answer (wrong unit id, or a device that ignores the request)');
    expect(order).toEqual(['good', 'silent']);
  });

  it('the target timeout bounds the whole read, and cancelling stops it', async () => {
    const whole = await modbusCollector
      .collect(target({ timeoutMs: 400, options: { map: 'generic-cdu', unitId: 8 } }), ctx())
      .then(() => 'no error', (e: Error) => e.message);
    expect(whole).toMatch(/^timed out after 400 ms/);
    const cancel = new AbortController();
    const pending = modbusCollector.collect(target({ timeoutMs: 10_000, options: { map: 'generic-cdu', unitId: 8 } }), { ...ctx(), signal: cancel.signal });
    setTimeout(() => cancel.abort(), 100);
    expect(await pending.then(() => 'no error', (e: Error) => e.message)).toBe('scrape cancelled');
  });

  it('the target guard refuses loopback unless allowed, before connecting', async () => {
    let connected = false;
    const probe = net.createServer(() => {
      connected = true;
    });
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const probePort = (probe.address() as net.AddressInfo).port;
    try {
      const refused = await modbusCollector
        .collect(target({ url: `modbus://127.0.0.1:${probePort}`, options: { map: 'generic-cdu' } }), { ...ctx(), guard: new TargetGuard('') })
        .then(() => 'no error', (e: Error) => e.message);
      expect(refused).toBe('target refused: 127.0.0.1 is a loopback address; allow it with PLENUM_TARGET_ALLOW');
      expect(connected).toBe(false);
    } finally {
      probe.close();
    }
  });

  it('options and URLs are checked with the field and the reason', async () => {
    const bad = modbusCollector.optionsSchema.safeParse({ map: 'no-such-map', unitId: 300 });
    expect(bad.success).toBe(false);
    const messages = bad.success ? [] : bad.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(messages.some((m) => m.startsWith('map: no register map "no-such-map" (available: generic-cdu, generic-crah, generic-power-meter)'))).toBe(true);
    expect(messages.some((m) => m.startsWith('unitId: '))).toBe(true);
    // A map removed since the target was added fails that target's scrape, naming it.
    const gone = await modbusCollector.collect(target({ options: { map: 'no-such-map', unitId: 1 } }), ctx()).then(
      () => 'no error',
      (e: Error) => e.message,
    );
    expect(gone).toBe('no register map "no-such-map" (available: generic-cdu, generic-crah, generic-power-meter)');
    expect(() => modbusEndpoint('modbus://10.0.0.5/3', {})).toThrow('a modbus URL has no path: modbus://host:502 (the unit id is an option)');
    expect(() => modbusEndpoint('http://10.0.0.5', {})).toThrow('starts with modbus://');
    expect(modbusEndpoint('modbus://10.0.0.5', {})).toEqual({ host: '10.0.0.5', port: 502, unitId: 1 });
    expect(modbusEndpoint('modbus://[fd00::5]:1502', { unitId: 7 })).toEqual({ host: 'fd00::5', port: 1502, unitId: 7 });
  });
});

describe('the simulator answers Modbus for its cooling units', () => {
  it('simulator → collector round trip: each CRAH and CDU reads back as its model says, to its register resolution', async () => {
    const inventory = exampleInventory({ racks: 2, serversPerRack: 2 });
    const site = inventory.sites[0]!;
    site.halls[0]!.racks[0]!.cooling = 'liquid';
    site.coolingUnits!.push({ id: 'cdu-1', kind: 'cdu', capacityKw: 60, hallId: 'hall-1', rackIds: [site.halls[0]!.racks[0]!.id] });
    const world = new World(inventory, { seed: 7 });
    for (let i = 0; i < 120; i++) world.step(1);
    const unitIds = coolingUnitIds(inventory);
    expect([...unitIds]).toEqual([['crah-1', 1], ['crah-2', 2], ['crah-3', 3], ['cdu-1', 4]]);
    const sim = simulatorModbusServer(() => ({ world, unitIds }));
    const simPort = await sim.listen(0, '127.0.0.1');
    try {
      for (const [unitName, unitId] of unitIds) {
        const readings = world.coolingUnitReadings(unitName)!;
        const map = loadRegisterMap(coolingUnitMapName(readings.kind));
        const samples = await modbusCollector.collect(
          target({ url: `modbus://127.0.0.1:${simPort}`, facility: { name: unitName, siteSlug: 'site-1' }, options: { map: map.name, unitId } }),
          { ...ctx(), guard: null },
        );
        expect(samples).toHaveLength(map.points.length);
        map.points.forEach((p, i) => {
          const model = coolingUnitPointValue(p, readings)!;
          // What the register can hold: the model's value through the map's own encode and decode.
          expect(samples[i]!.value, `${unitName} ${p.metric} ${p.labels.alarm ?? ''}`).toBe(decodePoint(p, encodePoint(p, model)));
          expect(Math.abs(samples[i]!.value - model)).toBeLessThanOrEqual(p.type === 'float32' ? Math.abs(model) * 1e-6 : p.scale / 2 + 1e-9);
          expect(samples[i]!.labels.device).toBe(unitName);
        });
      }
      // The CDU carries heat from its liquid rack, and the model is what the wire says: stop it and read again.
      const cduBefore = world.coolingUnitReadings('cdu-1')!;
      expect(cduBefore.heatRemovedW).toBeGreaterThan(0);
      expect(cduBefore.flowLPerMin).toBeGreaterThan(0);
      world.inject('cooling-unit-failure', 'cdu-1');
      world.step(1);
      const after = await modbusCollector.collect(target({ url: `modbus://127.0.0.1:${simPort}`, options: { map: 'generic-cdu', unitId: 4 } }), { ...ctx(), guard: null });
      expect(valuesOf(after).cooling_unit_running).toBe(0);
      expect(valuesOf(after)['cooling_unit_alarm:pump_failure']).toBe(1);
      expect(valuesOf(after).cdu_flow_l_per_min).toBe(0);
    } finally {
      await sim.close();
    }
  });
});

describe('modbus targets through the scraper into PostgreSQL', () => {
  it('a target added with --map/--unit-id/--device is scraped, lands on its cooling unit, and follows the device', async () => {
    const db = await createTestDatabase();
    const previousAllow = process.env.PLENUM_TARGET_ALLOW;
    process.env.PLENUM_TARGET_ALLOW = '127.0.0.1';
    let scraper: Scraper | undefined;
    try {
      const site = await db.pool.query<{ id: number }>(`INSERT INTO sites (slug, name, utility_capacity_kw) VALUES ('lab', 'Lab', 500) RETURNING id`);
      const unit = await db.pool.query<{ id: number }>(
        `INSERT INTO cooling_units (site_id, kind, name, capacity_kw, supply_setpoint_c, redundancy_group) VALUES ($1, 'cdu', 'cdu-a1', 300, 32, 'hall-1') RETURNING id`,
        [site.rows[0]!.id],
      );
      await maintainPartitions(db.pool, { rawRetentionDays: 7, rollupRetentionDays: 365 });
      const ingest = new IngestPipeline(db.pool, { bufferMaxSamples: 10_000, rawRetentionDays: 7, notify: false });
      await ingest.loadInventory();
      scraper = new Scraper(db.pool, ingest, 4, { maxBytes: 1024 * 1024, guard: new TargetGuard('127.0.0.1') });
      const caller = createCaller(createContext(db));
      // The collector validates the options when the target is added: errors name the field.
      const bad = await caller.telemetry.targets
        .add({ url: `modbus://127.0.0.1:${port}`, dialect: 'modbus', options: { map: 'generic-cdx', unitId: 1 }, device: 'cdu-a1' })
        .catch((e: unknown) => e);
      expect(bad).toBeInstanceOf(TRPCError);
      expect((bad as TRPCError).message).toMatch(/options\.map: no register map "generic-cdx"/);
      // The worked example of docs/FACILITY-COLLECTORS.md, through the CLI and the tRPC HTTP API.
      const api = createHTTPServer({ router: appRouter, basePath: '/api/trpc/', createContext: () => createContext(db) });
      await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
      const apiUrl = `http://127.0.0.1:${(api.address() as net.AddressInfo).port}`;
      const cli = async (argv: string[]) => {
        let out = '';
        let err = '';
        const sink = (append: (t: string) => void) =>
          new Writable({
            write(chunk, _encoding, done) {
              append(String(chunk));
              done();
            },
          });
        const code = await main([...argv, '--url', apiUrl], sink((t) => (out += t)), sink((t) => (err += t)));
        return { code, out, err };
      };
      let added: { id: number };
      try {
        const badFlag = await cli(['targets', 'add', `modbus://127.0.0.1:${port}`, '--dialect', 'modbus', '--map', 'generic-cdu', '--unit-id', 'three', '--device', 'cdu-a1']);
        expect(badFlag.code).not.toBe(0);
        expect(badFlag.err).toContain('--unit-id must be a whole number (got "three")');
        const ok = await cli(['targets', 'add', `modbus://127.0.0.1:${port}`, '--dialect', 'modbus', '--map', 'generic-cdu', '--unit-id', '1', '--device', 'cdu-a1', '--interval', '500ms', '--timeout', '2s', '--json']);
        expect(ok.err).toBe('');
        added = JSON.parse(ok.out) as { id: number; device: string; options: Record<string, unknown> };
        expect(added).toMatchObject({ dialect: 'modbus', device: 'cdu-a1', options: { map: 'generic-cdu', unitId: 1 } });
        const listed = await cli(['targets', 'list']);
        expect(listed.out).toContain(`modbus://127.0.0.1:${port} [generic-cdu unit 1 → cdu-a1]`);
      } finally {
        await new Promise((resolve) => api.close(resolve));
      }
      // A second device behind the same address is a target of its own (another unit id), and a silent one fails alone.
      const silent = await caller.telemetry.targets.add({
        url: `modbus://127.0.0.1:${port}`,
        dialect: 'modbus',
        options: { map: 'generic-cdu', unitId: 8, requestTimeoutMs: 300 },
        interval: 500,
        timeout: 2_000,
      });
      const latest = async (metric: string) =>
        (
          await db.pool.query<{ value: number; cooling_unit_id: number | null; target_id: number }>(
            `SELECT v.value, s.cooling_unit_id, s.target_id FROM telemetry_series s
               JOIN LATERAL (SELECT value FROM telemetry_samples WHERE series_id = s.id ORDER BY ts DESC LIMIT 1) v ON true
              WHERE s.metric = $1`,
            [metric],
          )
        ).rows;
      const waitFor = async (what: string, ok: () => Promise<boolean>) => {
        for (let i = 0; i < 300; i++) {
          await ingest.flush();
          if (await ok()) return;
          await new Promise((r) => setTimeout(r, 100));
        }
        const targets = await db.pool.query('SELECT id, dialect, last_error, last_success_at, last_sample_count FROM scrape_targets');
        const series = await db.pool.query(`SELECT metric, cooling_unit_id, device_name, (SELECT array_agg(value) FROM telemetry_samples WHERE series_id = s.id) AS v FROM telemetry_series s WHERE metric = 'cdu_supply_temp_c'`);
        throw new Error(`never saw ${what}: ${JSON.stringify((ingest as unknown as { stats: unknown }).stats)} targets ${JSON.stringify(targets.rows)}, series ${JSON.stringify(series.rows)}`);
      };
      cduValues.cdu_supply_temp_c = 33.3;
      scraper.start();
      await waitFor('the first reading', async () => (await latest('cdu_supply_temp_c')).some((r) => r.value === 33.3));
      const first = await latest('cdu_supply_temp_c');
      expect(first).toEqual([{ value: 33.3, cooling_unit_id: unit.rows[0]!.id, target_id: added.id }]);
      expect((await latest('cdu_flow_l_per_min'))[0]!.value).toBe(cduValues.cdu_flow_l_per_min);
      expect((await latest('plenum_cooling_unit_running'))[0]!.cooling_unit_id).toBe(unit.rows[0]!.id);
      // The device changes; the stored reading follows.
      cduValues.cdu_supply_temp_c = 36.9;
      await waitFor('the changed reading', async () => (await latest('cdu_supply_temp_c')).some((r) => r.value === 36.9));
      await waitFor('the silent unit’s health', async () => {
        const rows = await db.pool.query<{ last_error: string | null }>('SELECT last_error FROM scrape_targets WHERE id = $1', [silent.id]);
        return rows.rows[0]?.last_error != null;
      });
      const health = await db.pool.query<{ id: number; last_error: string | null; last_success_at: Date | null }>('SELECT id, last_error, last_success_at FROM scrape_targets ORDER BY id');
      expect(health.rows.find((r) => r.id === silent.id)!.last_error).toBe(
        'timed out after 300 ms reading input registers 0-8 of unit 8: no Modbus answer (wrong unit id, or a device that ignores the request)',
      );
      expect(health.rows.find((r) => r.id === added.id)!.last_success_at).not.toBeNull();
    } finally {
      await scraper?.stop();
      if (previousAllow === undefined) delete process.env.PLENUM_TARGET_ALLOW;
      else process.env.PLENUM_TARGET_ALLOW = previousAllow;
      await db.drop();
    }
  });
});
