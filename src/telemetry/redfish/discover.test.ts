import { describe, expect, it } from 'vitest';
import { listMetrics } from '../catalogue';
import { DEFAULT_WALK_LIMITS, discoverRedfish, expandAdvertised, type FetchJson, labelValue, linkOf, type RedfishObject } from './discover';

const ROOT = '/redfish/v1';

describe('linkOf', () => {
  it('follows links under the service root only, in a conservative syntax', () => {
    expect(linkOf({ '@odata.id': '/redfish/v1/Chassis/1U/' }, ROOT)).toBe('/redfish/v1/Chassis/1U');
    expect(linkOf({ '@odata.id': '/redfish/v1/Chassis#/Members/0' }, ROOT)).toBe('/redfish/v1/Chassis');
    expect(linkOf({ '@odata.id': '/redfish/v1' }, ROOT)).toBe('/redfish/v1');
    expect(linkOf({ '@odata.id': '/redfish/v10/Chassis' }, ROOT)).toBeUndefined();
    expect(linkOf({ '@odata.id': 'http://169.254.169.254/latest' }, ROOT)).toBeUndefined();
    expect(linkOf({ '@odata.id': '/redfish/v1/../admin' }, ROOT)).toBeUndefined();
    expect(linkOf({ '@odata.id': '/redfish/v1/a b' }, ROOT)).toBeUndefined();
    expect(linkOf({ '@odata.id': `/redfish/v1/${'x'.repeat(400)}` }, ROOT)).toBeUndefined();
    expect(linkOf({ '@odata.id': 42 }, ROOT)).toBeUndefined();
    expect(linkOf('/redfish/v1/Chassis', ROOT)).toBeUndefined();
  });
});

describe('labelValue and expandAdvertised', () => {
  it('clips labels and drops control characters', () => {
    expect(labelValue('PDU\n1\u0000')).toBe('PDU1');
    expect(labelValue('x'.repeat(500))).toHaveLength(80);
    expect(labelValue(7)).toBe('7');
    expect(labelValue({})).toBe('');
  });
  it('reads ExpandQuery', () => {
    expect(expandAdvertised({ ProtocolFeaturesSupported: { ExpandQuery: { NoLinks: true, Levels: true } } })).toBe(true);
    expect(expandAdvertised({ ProtocolFeaturesSupported: { ExpandQuery: { NoLinks: true, Levels: false } } })).toBe(false);
    expect(expandAdvertised({})).toBe(false);
  });
});

/** A service of `outlets` outlets on one rack PDU, counting requests in flight. */
function pduService(outlets: number) {
  const resources = new Map<string, RedfishObject>();
  const add = (body: RedfishObject) => resources.set(body['@odata.id'] as string, body);
  add({ '@odata.id': ROOT, PowerEquipment: { '@odata.id': `${ROOT}/PowerEquipment` } });
  add({ '@odata.id': `${ROOT}/PowerEquipment`, RackPDUs: { '@odata.id': `${ROOT}/PowerEquipment/RackPDUs` } });
  add({ '@odata.id': `${ROOT}/PowerEquipment/RackPDUs`, Members: [{ '@odata.id': `${ROOT}/PowerEquipment/RackPDUs/1` }] });
  add({ '@odata.id': `${ROOT}/PowerEquipment/RackPDUs/1`, Id: '1', Name: 'pdu-a', Outlets: { '@odata.id': `${ROOT}/PowerEquipment/RackPDUs/1/Outlets` } });
  const members = [];
  for (let i = 1; i <= outlets; i++) {
    const id = `${ROOT}/PowerEquipment/RackPDUs/1/Outlets/${i}`;
    members.push({ '@odata.id': id });
    add({ '@odata.id': id, Id: String(i), PowerWatts: { Reading: i * 10 }, CurrentAmps: { Reading: 'high' } });
  }
  add({ '@odata.id': `${ROOT}/PowerEquipment/RackPDUs/1/Outlets`, Members: members });
  const stats = { inFlight: 0, maxInFlight: 0, requests: 0 };
  const fetchJson: FetchJson = async (path) => {
    stats.requests++;
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    await new Promise((resolve) => setImmediate(resolve));
    stats.inFlight--;
    const body = resources.get(path);
    if (!body) throw new Error(`missing ${path}`);
    return body;
  };
  return { fetchJson, stats };
}

describe('discoverRedfish', () => {
  const options = { ...DEFAULT_WALK_LIMITS, rootPath: ROOT, deviceName: null, useExpand: true };

  it('keeps at most `concurrency` requests in flight and skips readings that are not numbers', async () => {
    const { fetchJson, stats } = pduService(40);
    const readings = await discoverRedfish(fetchJson, { ...options, concurrency: 3 });
    expect(stats.maxInFlight).toBeLessThanOrEqual(3);
    expect(readings).toHaveLength(40);
    expect(readings[0]).toEqual({ metric: 'pdu_outlet_power_w', labels: { device: 'pdu-a', resource: `${ROOT}/PowerEquipment/RackPDUs/1`, outlet: '1' }, value: 10 });
  });

  it('reads at most maxMembers of a collection and stops past maxRequests', async () => {
    const { fetchJson } = pduService(40);
    expect(await discoverRedfish(fetchJson, { ...options, maxMembers: 5 })).toHaveLength(5);
    await expect(discoverRedfish(pduService(40).fetchJson, { ...options, maxRequests: 10 })).rejects.toThrow('Redfish service needs more than 10 requests (option maxRequests)');
  });
});

describe('catalogue', () => {
  it('names each metric once (collector branches add entries side by side)', () => {
    const names = listMetrics().map((m) => m.name);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });
});
