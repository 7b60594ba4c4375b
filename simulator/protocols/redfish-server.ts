/**
 * The simulator's Redfish service: every simulated cooling unit answers as a DMTF CoolingUnit under
 * `/redfish/v1/ThermalEquipment`, CDUs in `CDUs` (SecondaryCoolantConnectors: supply / return temperature, flow,
 * pressures, heat removed; EnvironmentMetrics), air units (CRAH, CRAC, in-row, rear door) in `HeatExchangers`
 * (EnvironmentMetrics). Values are the model's controller readings (CoolingUnitSim.readings), so what Plenum's Redfish
 * collector reads is what the model computes. Plain HTTP on loopback; `$expand=.($levels=1)` on collections.
 *
 * The unit's Redfish Id is its simulator id (the inventory name, URL-encoded) and its Name the inventory name, which
 * the collector uses as `device`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { World } from '../world';

type Resource = Record<string, unknown>;
type Unit = ReturnType<World['siteView']> extends infer V ? (V extends { coolingUnits: (infer U)[] } ? U : never) : never;

const ROOT = '/redfish/v1';
const THERMAL = `${ROOT}/ThermalEquipment`;

/** The URL of the simulator's Redfish service: the one place it is built (a scale-out registry will resolve it later). */
export function simulatorRedfishUrl(host: string, port: number): string {
  return `http://${host}:${port}${ROOT}`;
}

const link = (id: string) => ({ '@odata.id': id });
const collectionOf = (unit: Unit) => (unit.kind === 'cdu' ? 'CDUs' : 'HeatExchangers');
const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

function allUnits(world: World): { unit: Unit; hallAirTempC: number | undefined }[] {
  const out: { unit: Unit; hallAirTempC: number | undefined }[] = [];
  for (const siteId of world.siteIds()) {
    const site = world.siteView(siteId);
    if (!site) continue;
    const airTemp = new Map(site.halls.map((h) => [h.id, h.airTempC]));
    for (const unit of site.coolingUnits) out.push({ unit, hallAirTempC: airTemp.get(unit.hallId) });
  }
  return out;
}

/** The Redfish resource at `path` (no trailing slash), or undefined (404). `expand` inlines collection members. */
export function redfishResource(world: World, path: string, expand = false): Resource | undefined {
  const units = allUnits(world);
  const unitPath = (u: Unit) => `${THERMAL}/${collectionOf(u)}/${encodeURIComponent(u.id)}`;
  const collection = (id: string, name: string, members: string[]): Resource => ({
    '@odata.id': id,
    '@odata.type': '#CoolingUnitCollection.CoolingUnitCollection',
    Name: name,
    'Members@odata.count': members.length,
    Members: members.map((m) => (expand ? (redfishResource(world, m) ?? link(m)) : link(m))),
  });

  if (path === ROOT) {
    return {
      '@odata.id': ROOT,
      '@odata.type': '#ServiceRoot.v1_17_0.ServiceRoot',
      Id: 'RootService',
      Name: 'Plenum simulator Redfish service',
      RedfishVersion: '1.20.0',
      ProtocolFeaturesSupported: { ExpandQuery: { NoLinks: true, Levels: true, MaxLevels: 1, ExpandAll: false, Links: false } },
      ThermalEquipment: link(THERMAL),
    };
  }
  if (path === THERMAL) {
    return {
      '@odata.id': THERMAL,
      '@odata.type': '#ThermalEquipment.v1_1_0.ThermalEquipment',
      Id: 'ThermalEquipment',
      Name: 'Simulated cooling equipment',
      CDUs: link(`${THERMAL}/CDUs`),
      HeatExchangers: link(`${THERMAL}/HeatExchangers`),
    };
  }
  if (path === `${THERMAL}/CDUs` || path === `${THERMAL}/HeatExchangers`) {
    const kind = path.endsWith('/CDUs') ? 'CDUs' : 'HeatExchangers';
    return collection(
      path,
      kind === 'CDUs' ? 'CDU Collection' : 'Heat Exchanger Collection',
      units.filter(({ unit }) => collectionOf(unit) === kind).map(({ unit }) => unitPath(unit)),
    );
  }
  const found = units.find(({ unit }) => path === unitPath(unit) || path.startsWith(`${unitPath(unit)}/`));
  if (!found) return undefined;
  const { unit, hallAirTempC } = found;
  const base = unitPath(unit);
  const r = unit.readings;
  const status = { State: r.running ? 'Enabled' : 'UnavailableOffline', Health: r.running && !r.alarms.highSupplyTemp ? 'OK' : 'Warning' };
  const sub = path.slice(base.length);
  if (sub === '') {
    return {
      '@odata.id': base,
      '@odata.type': '#CoolingUnit.v1_2_0.CoolingUnit',
      Id: unit.id,
      Name: unit.name,
      EquipmentType: unit.kind === 'cdu' ? 'CDU' : 'HeatExchanger',
      Model: `Plenum simulated ${unit.kind.toUpperCase()}`,
      Status: status,
      CoolingCapacityWatts: Math.round(unit.capacityW),
      ...(unit.kind === 'cdu' ? { SecondaryCoolantConnectors: link(`${base}/SecondaryCoolantConnectors`) } : {}),
      EnvironmentMetrics: link(`${base}/EnvironmentMetrics`),
    };
  }
  if (sub === '/EnvironmentMetrics') {
    return {
      '@odata.id': path,
      '@odata.type': '#EnvironmentMetrics.v1_3_0.EnvironmentMetrics',
      Id: 'EnvironmentMetrics',
      Name: `${unit.name} environment`,
      ...(hallAirTempC !== undefined ? { TemperatureCelsius: { Reading: round(hallAirTempC) } } : {}),
    };
  }
  if (unit.kind !== 'cdu') return undefined;
  if (sub === '/SecondaryCoolantConnectors') {
    return { ...collection(path, 'Secondary coolant connectors', [`${path}/1`]), '@odata.type': '#CoolantConnectorCollection.CoolantConnectorCollection' };
  }
  if (sub === '/SecondaryCoolantConnectors/1') {
    return {
      '@odata.id': path,
      '@odata.type': '#CoolantConnector.v1_1_0.CoolantConnector',
      Id: '1',
      Name: 'Secondary loop to the racks',
      Status: status,
      SupplyTemperatureCelsius: { Reading: round(r.supplyTempC) },
      ReturnTemperatureCelsius: { Reading: round(r.returnTempC) },
      FlowLitersPerMinute: { Reading: round(r.flowLPerMin) },
      SupplyPressurekPa: { Reading: round(r.supplyPressureKpa) },
      ReturnPressurekPa: { Reading: round(r.supplyPressureKpa - r.differentialPressureKpa) },
      DeltaPressurekPa: { Reading: round(r.differentialPressureKpa) },
      HeatRemovedkW: { Reading: round(r.heatRemovedW / 1000, 3) },
    };
  }
  return undefined;
}

/** Serves `redfishResource` over HTTP; the World is read at each request (the host steps it on its own timer). */
export class RedfishSimServer {
  private server: http.Server | undefined;

  constructor(private readonly world: () => World | undefined) {}

  /** Listens and resolves the service root URL. */
  async start(host: string, port: number): Promise<string> {
    this.server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://sim');
      const world = this.world();
      const path = url.pathname.replace(/\/+$/, '');
      const body = world && req.method === 'GET' ? redfishResource(world, path, url.searchParams.has('$expand')) : undefined;
      if (!body) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"Base.1.0.ResourceMissingAtURI"}}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'odata-version': '4.0' }).end(JSON.stringify(body));
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, resolve);
    });
    return simulatorRedfishUrl(host, (this.server.address() as AddressInfo).port);
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}
