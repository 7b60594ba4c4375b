/**
 * The simulator's SNMP agents: every simulated UPS and rack PDU answers SNMP v2c (GET, GETNEXT, GETBULK) with the
 * values of its model, at the OIDs of the same device profiles Plenum's `snmp` collector reads
 * (src/telemetry/snmp/profiles: `ups-mib` for UPSs, `apc-rpdu2` for rack PDUs). A value is written the way the device
 * writes it: the model's reading goes through the profile's inverse (`rawValueOf`: reading ÷ scale, or the enum code),
 * so an OID, a scale or an enum exists in one place and both directions follow it.
 *
 * Device selection: one agent per device, each on its own UDP port on the simulator's loopback address (community
 * `public`). That is how real gear looks (one agent per management card), so snmpwalk, snmp_exporter and the collector
 * address a simulated PDU exactly like a real one (`snmp://127.0.0.1:<port>`), with no community or context tricks.
 * 2,000 PDUs are 2,000 sockets: one file descriptor each, no thread.
 *
 * Built on net-snmp's agent (createAgent with MIB providers). Values are refreshed lazily: each provider's handler
 * copies the device's current readings into its MIB when the world has stepped since the last request, so an idle
 * agent costs nothing and a walk sees one consistent snapshot.
 */
import dgram from 'node:dgram';
import snmp from 'net-snmp';
import { rawValueOf, type SnmpProfile, snmpProfiles } from '../../src/telemetry/snmp/profile';
import type { SiteView, World } from '../world';

/** The profile each simulated device kind answers. */
export const SIM_SNMP_PROFILES = { ups: 'ups-mib', 'rack-pdu': 'apc-rpdu2' } as const;
export type SimSnmpKind = keyof typeof SIM_SNMP_PROFILES;
export const SIM_SNMP_COMMUNITY = 'public';

/**
 * One device's readings in the profile's terms: scalar metrics, table metrics per row (row number from 1), text
 * labels per row, and the raw code behind an enum reading where the model knows it (upsOutputSource normal(3) vs
 * none(2) both read "not on battery").
 */
export interface DeviceReadings {
  scalars: Map<string, number>;
  rows: Map<string, Map<number, number>>;
  labels: Map<string, Map<number, string | number>>;
  codes: Map<string, number>;
}

type UpsView = SiteView['upses'][number];
type PduView = SiteView['pdus'][number];

function emptyReadings(): DeviceReadings {
  return { scalars: new Map(), rows: new Map(), labels: new Map(), codes: new Map() };
}

function oneRow(value: number): Map<number, number> {
  return new Map([[1, value]]);
}

/** A UPS in UPS-MIB terms (RFC 1628): one output line carries the whole load. */
export function upsReadings(u: UpsView): DeviceReadings {
  const s = u.state;
  const r = emptyReadings();
  r.scalars.set('ups_on_battery', s.outputSource === 5 ? 1 : 0);
  r.codes.set('ups_on_battery', s.outputSource);
  r.scalars.set('ups_output_source', s.outputSource);
  r.scalars.set('ups_battery_status', s.batteryStatus);
  r.scalars.set('ups_seconds_on_battery', s.secondsOnBattery);
  r.scalars.set('ups_runtime_s', s.estimatedMinutesRemaining * 60);
  r.scalars.set('ups_battery_charge_pct', s.estimatedChargeRemainingPct);
  r.scalars.set('ups_load_pct', (s.outputPowerW / u.ratedW) * 100);
  r.rows.set('ups_load_w', oneRow(s.outputPowerW));
  r.rows.set('ups_input_power_w', oneRow(s.inputPowerW));
  return r;
}

/** A rack PDU in rPDU2 terms: one unit (no daisy chain), its input phases and its metered outlets. */
export function pduReadings(p: PduView): DeviceReadings {
  const r = emptyReadings();
  r.rows.set('pdu_power_w', oneRow(p.loadW));
  r.rows.set('pdu_energy_kwh', oneRow(p.energyJ / 3.6e6));
  const phasePowerW = new Array<number>(p.phases).fill(0);
  const outletPower = new Map<number, number>();
  const outletCurrent = new Map<number, number>();
  const outletNumber = new Map<number, number>();
  const outletName = new Map<number, string>();
  p.outletsW.forEach((w, i) => {
    const outlet = i + 1;
    // Outlets rotate over the phases (phaseOfOutlet); with no power the outlet reads 0 W and 0 A.
    phasePowerW[i % p.phases]! += w;
    outletPower.set(outlet, w);
    outletCurrent.set(outlet, p.live ? w / p.phaseVoltageV : 0);
    outletNumber.set(outlet, outlet);
    outletName.set(outlet, p.outletNames[i] ?? `Outlet ${outlet}`);
  });
  const voltage = p.live ? p.phaseVoltageV : 0;
  r.rows.set('pdu_phase_current_a', new Map(phasePowerW.map((w, i) => [i + 1, voltage > 0 ? w / voltage : 0])));
  r.rows.set('pdu_phase_voltage_v', new Map(phasePowerW.map((_, i) => [i + 1, voltage])));
  r.rows.set('pdu_outlet_power_w', outletPower);
  r.rows.set('pdu_outlet_current_a', outletCurrent);
  r.labels.set('outlet', outletNumber);
  r.labels.set('outlet_name', outletName);
  // rPDU2 numbers phases 1..n (the profile writes them L1..Ln); one unit, no daisy chain.
  r.labels.set('phase', new Map(phasePowerW.map((_, i) => [i + 1, i + 1])));
  r.labels.set('unit', new Map(Array.from({ length: Math.max(p.outletsW.length, p.phases) }, (_, i) => [i + 1, 1])));
  return r;
}

// ----- net-snmp MIB construction from a profile

type Mib = {
  registerProvider(p: unknown): void;
  setScalarValue(name: string, value: unknown): void;
  addTableRow(name: string, row: unknown[]): void;
  setTableSingleCell(name: string, column: number, row: unknown[], value: unknown): void;
};
type MibRequest = { done(error?: unknown): void };
type Agent = { getMib(): Mib; getAuthorizer(): { addCommunity(c: string): void }; close(cb?: () => void): void; listener: { sockets: Record<string, import('node:dgram').Socket> } };

/** One value the agent serves, and how to compute it from the readings. */
type Cell = { kind: 'number'; read: (r: DeviceReadings) => number | undefined } | { kind: 'text'; read: (r: DeviceReadings) => string | undefined };

type ScalarPlan = { name: string; providerOid: string; type: number; cell: Cell };
type TablePlan = {
  name: string;
  entryOid: string;
  indexColumn: number;
  columns: { number: number; type: number; cells: Map<number, Cell> }[];
  rows: number[];
};

/** The OID without its last arc, and that arc. */
function splitOid(oid: string): [string, number] {
  const i = oid.lastIndexOf('.');
  return [oid.slice(0, i), Number(oid.slice(i + 1))];
}

/**
 * What the agent serves for one device: every profile OID the readings give a value for. The first profile entry
 * that can write an OID wins (several entries may read the same OID: a raw code and an enum of it).
 */
function planMib(profile: SnmpProfile, readings: DeviceReadings): { scalars: ScalarPlan[]; tables: TablePlan[] } {
  const scalars: ScalarPlan[] = [];
  const seen = new Set<string>();
  for (const s of profile.scalars) {
    if (seen.has(s.oid) || !s.oid.endsWith('.0')) continue;
    const metric = s.metric;
    const read = (r: DeviceReadings) => {
      const v = r.scalars.get(metric);
      return v === undefined ? undefined : rawValueOf(s, v, r.codes.get(metric));
    };
    const first = read(readings);
    if (first === undefined) continue;
    seen.add(s.oid);
    scalars.push({ name: s.oid, providerOid: splitOid(s.oid)[0], type: s.enum || first < 0 ? snmp.ObjectType.Integer : snmp.ObjectType.Gauge32, cell: { kind: 'number', read } });
  }

  // Table columns grouped by their entry OID; each row index is the row number (one index part).
  const entries = new Map<string, TablePlan>();
  const entryFor = (columnOid: string) => {
    const [entryOid] = splitOid(columnOid);
    let plan = entries.get(entryOid);
    if (!plan) {
      plan = { name: entryOid, entryOid, indexColumn: 0, columns: [], rows: [] };
      entries.set(entryOid, plan);
    }
    return plan;
  };
  const rowSet = new Map<string, Set<number>>();
  const addColumn = (columnOid: string, type: number, rows: Map<number, unknown> | undefined, cellFor: (row: number) => Cell) => {
    if (!rows || rows.size === 0) return;
    const plan = entryFor(columnOid);
    const number = splitOid(columnOid)[1];
    if (plan.columns.some((c) => c.number === number)) return;
    const cells = new Map<number, Cell>();
    for (const row of rows.keys()) cells.set(row, cellFor(row));
    plan.columns.push({ number, type, cells });
    const set = rowSet.get(plan.entryOid) ?? new Set<number>();
    for (const row of rows.keys()) set.add(row);
    rowSet.set(plan.entryOid, set);
  };
  for (const t of profile.tables) {
    // The table's rows are those its readings have; a label column only labels them (a `unit` label is on every row
    // of several tables, each with its own rows).
    const tableRows = new Set(t.columns.flatMap((c) => [...(readings.rows.get(c.metric)?.keys() ?? [])]));
    for (const c of t.columns) {
      const metric = c.metric;
      const rows = readings.rows.get(metric);
      const anyNegative = [...(rows?.values() ?? [])].some((v) => v < 0);
      addColumn(c.oid, c.enum || anyNegative ? snmp.ObjectType.Integer : snmp.ObjectType.Gauge32, rows, (row) => ({
        kind: 'number',
        read: (r) => {
          const v = r.rows.get(metric)?.get(row);
          return v === undefined ? undefined : rawValueOf(c, v);
        },
      }));
    }
    for (const l of t.label_columns) {
      const all = readings.labels.get(l.label);
      const labels = all && new Map([...all].filter(([row]) => tableRows.has(row)));
      const numeric = labels !== undefined && [...labels.values()].every((v) => typeof v === 'number');
      if (numeric) {
        addColumn(l.oid, snmp.ObjectType.Integer, labels, (row) => ({ kind: 'number', read: (r) => r.labels.get(l.label)?.get(row) as number | undefined }));
      } else {
        addColumn(l.oid, snmp.ObjectType.OctetString, labels, (row) => ({ kind: 'text', read: (r) => String(r.labels.get(l.label)?.get(row) ?? '') }));
      }
    }
  }
  const tables: TablePlan[] = [];
  for (const plan of entries.values()) {
    plan.columns.sort((a, b) => a.number - b.number);
    // The index column is read-only here (rPDU2 tables publish theirs; UPS-MIB's is not-accessible): a walk of the
    // data columns never reaches it, as it sorts first, below the lowest column the profiles read.
    const used = new Set(plan.columns.map((c) => c.number));
    plan.indexColumn = 1;
    while (used.has(plan.indexColumn)) plan.indexColumn += 1;
    plan.rows = [...(rowSet.get(plan.entryOid) ?? [])].sort((a, b) => a - b);
    tables.push(plan);
  }
  return { scalars, tables };
}

function numberFor(type: number, raw: number): number {
  // Gauge32 cannot go below zero: a model that briefly reads -0.4 W serves 0.
  return type === snmp.ObjectType.Gauge32 ? Math.max(0, raw) : raw;
}

/** One simulated device's agent. */
export class DeviceAgent {
  private agent: Agent | undefined;
  private mib: Mib | undefined;
  private servedAtMs = Number.NaN;
  port = 0;

  constructor(
    readonly name: string,
    readonly siteId: string,
    readonly kind: SimSnmpKind,
    private readonly profile: SnmpProfile,
    private readonly readingsNow: () => DeviceReadings | undefined,
    private readonly worldTimeMs: () => number,
  ) {}

  get profileName(): string {
    return this.profile.name;
  }

  /** Starts the agent on `port`, or on a free port when `port` is 0. */
  async start(host: string, port: number): Promise<void> {
    const readings = this.readingsNow();
    if (!readings) throw new Error(`snmp agent ${this.name}: the device is not in the simulation`);
    const plan = planMib(this.profile, readings);
    // net-snmp turns port 0 into 161, so a free port is found first (a lost race is retried).
    let agent: Agent | undefined;
    for (let attempt = 0; !agent; attempt++) {
      const candidate = port === 0 ? await freeUdpPort(host) : port;
      const started = snmp.createAgent({ port: candidate, address: host, accessControlModelType: snmp.AccessControlModelType.None }, () => {}) as Agent;
      try {
        this.port = await listening(started);
        agent = started;
      } catch (error) {
        started.close();
        if (port !== 0 || attempt >= 3) throw new Error(`snmp agent ${this.name}: cannot listen on ${host}:${candidate} (${(error as Error).message})`);
      }
    }
    agent.getAuthorizer().addCommunity(SIM_SNMP_COMMUNITY);
    const mib = agent.getMib();
    const handler = (req: MibRequest) => {
      this.refresh(plan);
      req.done();
    };
    this.registerSystemGroup(mib);
    for (const s of plan.scalars) {
      mib.registerProvider({ name: s.name, type: snmp.MibProviderType.Scalar, oid: s.providerOid, scalarType: s.type, maxAccess: snmp.MaxAccess['read-only'], handler });
    }
    for (const t of plan.tables) {
      const indexName = `${t.name}.${t.indexColumn}`;
      mib.registerProvider({
        name: t.name,
        type: snmp.MibProviderType.Table,
        oid: t.entryOid,
        maxAccess: snmp.MaxAccess['not-accessible'],
        tableColumns: [
          { number: t.indexColumn, name: indexName, type: snmp.ObjectType.Integer, maxAccess: snmp.MaxAccess['read-only'] },
          ...t.columns.map((c) => ({ number: c.number, name: `${t.name}.${c.number}`, type: c.type, maxAccess: snmp.MaxAccess['read-only'] })),
        ],
        tableIndex: [{ columnName: indexName }],
        handler,
      });
    }
    this.agent = agent;
    this.mib = mib;
    // First values in, rows created (a row needs every column's value).
    this.servedAtMs = Number.NaN;
    this.write(plan, readings, true);
    this.servedAtMs = this.worldTimeMs();
  }

  /**
   * What every agent answers besides its profile: sysDescr, sysUpTime and sysName (mib-2 system), and snmpEngineTime
   * (SNMP-FRAMEWORK-MIB), which also closes the MIB: a walk past the vendor OIDs meets it and ends there, where
   * net-snmp's agent would answer noSuchObject for ever instead of endOfMibView.
   */
  private registerSystemGroup(mib: Mib): void {
    const startedMs = Date.now();
    const ro = snmp.MaxAccess['read-only'];
    const uptimeHandler = (req: MibRequest) => {
      mib.setScalarValue('sysUpTime', Math.floor((Date.now() - startedMs) / 10));
      mib.setScalarValue('snmpEngineTime', Math.floor((Date.now() - startedMs) / 1000));
      req.done();
    };
    mib.registerProvider({ name: 'sysDescr', type: snmp.MibProviderType.Scalar, oid: '1.3.6.1.2.1.1.1', scalarType: snmp.ObjectType.OctetString, maxAccess: ro });
    mib.registerProvider({ name: 'sysUpTime', type: snmp.MibProviderType.Scalar, oid: '1.3.6.1.2.1.1.3', scalarType: snmp.ObjectType.TimeTicks, maxAccess: ro, handler: uptimeHandler });
    mib.registerProvider({ name: 'sysName', type: snmp.MibProviderType.Scalar, oid: '1.3.6.1.2.1.1.5', scalarType: snmp.ObjectType.OctetString, maxAccess: ro });
    mib.registerProvider({ name: 'snmpEngineTime', type: snmp.MibProviderType.Scalar, oid: '1.3.6.1.6.3.10.2.1.3', scalarType: snmp.ObjectType.Integer, maxAccess: ro, handler: uptimeHandler });
    mib.setScalarValue('sysDescr', `Plenum simulator ${this.kind === 'ups' ? 'UPS' : 'rack PDU'} (${this.profile.name} profile)`);
    mib.setScalarValue('sysUpTime', 0);
    mib.setScalarValue('sysName', this.name);
    mib.setScalarValue('snmpEngineTime', 0);
  }

  /** Copies the current readings into the MIB once per world step. */
  private refresh(plan: ReturnType<typeof planMib>): void {
    const now = this.worldTimeMs();
    if (now === this.servedAtMs) return;
    const readings = this.readingsNow();
    if (!readings) return; // removed from the simulation: the last values stay until the agent stops
    this.write(plan, readings, false);
    this.servedAtMs = now;
  }

  private write(plan: ReturnType<typeof planMib>, readings: DeviceReadings, create: boolean): void {
    const mib = this.mib!;
    const value = (cell: Cell, type: number): number | string | undefined => {
      if (cell.kind === 'text') return cell.read(readings) ?? '';
      const v = cell.read(readings);
      return v === undefined ? undefined : numberFor(type, v);
    };
    for (const s of plan.scalars) {
      const v = value(s.cell, s.type);
      if (v !== undefined) mib.setScalarValue(s.name, v);
    }
    for (const t of plan.tables) {
      for (const row of t.rows) {
        const cells = t.columns.map((c) => {
          const cell = c.cells.get(row);
          const v = cell ? value(cell, c.type) : undefined;
          return v ?? (c.type === snmp.ObjectType.OctetString ? '' : 0);
        });
        if (create) {
          mib.addTableRow(t.name, [row, ...cells]);
        } else {
          t.columns.forEach((c, i) => {
            mib.setTableSingleCell(t.name, c.number, [row], cells[i]);
          });
        }
      }
    }
  }

  async stop(): Promise<void> {
    const agent = this.agent;
    this.agent = undefined;
    if (agent) await new Promise<void>((resolve) => agent.close(() => resolve()));
  }
}

/** Resolves with the agent's port once its socket listens; rejects when the bind fails. */
async function listening(agent: Agent): Promise<number> {
  const socket = Object.values(agent.listener.sockets)[0]!;
  await new Promise<void>((resolve, reject) => {
    socket.once('listening', () => resolve());
    socket.once('error', reject);
  });
  return socket.address().port;
}

async function freeUdpPort(host: string): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, host, () => resolve());
  });
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

function mapDefined<T, U>(value: T | undefined, fn: (v: T) => U): U | undefined {
  return value === undefined ? undefined : fn(value);
}

export type SimSnmpDevice = { name: string; siteId: string; kind: SimSnmpKind; profile: string; port: number };

export type SimSnmpOptions = {
  host: string;
  /** First port of a fixed range (device i at basePort + i, in inventory order); 0: the OS picks a free port per device. */
  basePort: number;
  /** Profiles by name (default: the shipped and PLENUM_SNMP_PROFILES ones). */
  profiles?: Map<string, SnmpProfile>;
};

/**
 * The agents of every UPS and rack PDU in a World. `sync()` follows inventory changes: new devices get an agent, gone
 * ones lose theirs, and a device keeps its port for as long as it exists.
 */
export class SimSnmpAgents {
  private readonly agents = new Map<string, DeviceAgent>();
  private readonly profiles: Map<string, SnmpProfile>;

  constructor(
    private readonly world: () => World,
    readonly options: SimSnmpOptions,
  ) {
    this.profiles = options.profiles ?? snmpProfiles();
    for (const name of Object.values(SIM_SNMP_PROFILES)) if (!this.profiles.has(name)) throw new Error(`snmp agent: profile ${name} is missing`);
  }

  private wanted(): { key: string; name: string; siteId: string; kind: SimSnmpKind; readings: () => DeviceReadings | undefined }[] {
    const world = this.world();
    const out: ReturnType<SimSnmpAgents['wanted']> = [];
    for (const siteId of world.siteIds()) {
      const site = world.siteView(siteId)!;
      for (const u of site.upses) {
        out.push({ key: `ups:${u.id}`, name: u.name, siteId, kind: 'ups', readings: () => mapDefined(this.siteDevices(siteId)?.upses.get(u.id), upsReadings) });
      }
      for (const p of site.pdus) {
        out.push({ key: `pdu:${p.id}`, name: p.name, siteId, kind: 'rack-pdu', readings: () => mapDefined(this.siteDevices(siteId)?.pdus.get(p.id), pduReadings) });
      }
    }
    return out;
  }

  /** Site views of the current world step, built once per step however many agents read them. */
  private views = { atMs: Number.NaN, bySite: new Map<string, { upses: Map<string, UpsView>; pdus: Map<string, PduView> } | null>() };

  private siteDevices(siteId: string) {
    const world = this.world();
    if (world.nowMs !== this.views.atMs) this.views = { atMs: world.nowMs, bySite: new Map() };
    let entry = this.views.bySite.get(siteId);
    if (entry === undefined) {
      const view = world.siteView(siteId);
      entry = view ? { upses: new Map(view.upses.map((u) => [u.id, u])), pdus: new Map(view.pdus.map((p) => [p.id, p])) } : null;
      this.views.bySite.set(siteId, entry);
    }
    return entry;
  }

  /** Starts agents for new devices and stops those of removed ones. */
  async sync(): Promise<void> {
    const wanted = this.wanted();
    const keys = new Set(wanted.map((w) => w.key));
    for (const [key, agent] of this.agents) {
      if (!keys.has(key)) {
        await agent.stop();
        this.agents.delete(key);
      }
    }
    let i = 0;
    for (const w of wanted) {
      const index = i++;
      if (this.agents.has(w.key)) continue;
      const agent = new DeviceAgent(w.name, w.siteId, w.kind, this.profiles.get(SIM_SNMP_PROFILES[w.kind])!, w.readings, () => this.world().nowMs);
      await agent.start(this.options.host, this.options.basePort === 0 ? 0 : this.options.basePort + index);
      this.agents.set(w.key, agent);
    }
  }

  devices(): SimSnmpDevice[] {
    return [...this.agents.values()].map((a) => ({ name: a.name, siteId: a.siteId, kind: a.kind, profile: a.profileName, port: a.port }));
  }

  async stop(): Promise<void> {
    for (const agent of this.agents.values()) await agent.stop();
    this.agents.clear();
  }
}
