import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../tests/db';
import { createCaller } from '../api/root';
import { createContext } from '../api/trpc';
import { seedIfEmpty } from '../db/seed';
import { exportInventory, type InventoryDocument, InventoryImportError, importInventory, inventoryRowCounts } from './inventory-io';

const withoutDate = ({ exportedAt: _exportedAt, ...rest }: InventoryDocument) => rest;

async function importError(run: Promise<unknown>): Promise<InventoryImportError> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InventoryImportError);
  return error as InventoryImportError;
}

describe('whole-inventory export and import', () => {
  let source: TestDatabase;
  let target: TestDatabase;
  let scratch: TestDatabase;
  let exported: InventoryDocument;

  beforeAll(async () => {
    [source, target, scratch] = await Promise.all([createTestDatabase(), createTestDatabase(), createTestDatabase()]);
    await seedIfEmpty(source.db, 'demo');
    exported = await exportInventory(source.db);
  });
  afterAll(() => Promise.all([source, target, scratch].map((d) => d?.drop())));

  it('exports a versioned document with natural keys and no database ids', () => {
    expect(exported).toMatchObject({ format: 'plenum-inventory', version: 1 });
    expect(exported.sites.map((x) => x.slug)).toEqual(['ams-ai-1']);
    // 704 GPUs and the TPU hall's 192 chips (the document carries the chips as accelerators, not yet their pods).
    expect(exported.accelerators).toHaveLength(704 + 192);
    expect(exported.links.length).toBeGreaterThan(100);
    expect(exported.links[0]!.a).toEqual({ device: expect.any(String), interface: expect.any(String) });
    expect(JSON.stringify(exported)).not.toMatch(/"(id|siteId|hallId|rackId|deviceId)":/);
  });

  it('round-trips losslessly through JSON into an empty database', async () => {
    const asJson = JSON.parse(JSON.stringify(exported)) as unknown;
    const result = await importInventory(target.db, asJson, { actor: 'test' });
    expect(result.dryRun).toBe(false);
    expect(result.counts.devices).toBe(exported.devices.length);
    const again = await exportInventory(target.db);
    expect(withoutDate(again)).toEqual(withoutDate(exported));
    // Table by table, the same number of rows (link ends and all).
    expect(await inventoryRowCounts(target.db)).toEqual(await inventoryRowCounts(source.db));
    const ends = await target.pool.query('SELECT count(*)::int AS n FROM link_ends');
    expect(ends.rows[0].n).toBe(exported.links.length * 2);
  });

  it('refuses to import into an inventory that is not empty', async () => {
    await expect(importInventory(target.db, exported, { actor: 'test' })).rejects.toThrow(/the inventory is not empty \(1 sites, .*PLENUM_SEED=none/);
  });

  it('imports nothing when one device overlaps another, and names its path', async () => {
    const doc = structuredClone(exported);
    const first = doc.devices.findIndex((d) => d.name === 'a1-01-gpu1');
    const second = doc.devices.findIndex((d) => d.name === 'a1-01-gpu2');
    expect(doc.devices[first]!.position).toBe(2);
    doc.devices[second]!.position = 5;
    const error = await importError(importInventory(scratch.db, doc, { actor: 'test' }));
    expect(error.issues).toEqual([
      { field: `devices.${second}.position`, reason: `U5-U10 (front) overlaps devices.${first} "a1-01-gpu1" at U2-U7 (front) in the same rack` },
    ]);
    expect(await inventoryRowCounts(scratch.db)).toEqual({});
  });

  it('imports nothing when a device does not fit its rack or a rack would be too heavy', async () => {
    const doc = structuredClone(exported);
    const i = doc.devices.findIndex((d) => d.name === 'a1-01-gpu3');
    doc.devices[i]!.position = 40;
    const error = await importError(importInventory(scratch.db, doc, { actor: 'test' }));
    expect(error.issues[0]!.field).toBe(`devices.${i}.position`);
    expect(error.issues[0]!.reason).toMatch(/does not fit in rack A1-01/);
    expect(await inventoryRowCounts(scratch.db)).toEqual({});
  });

  it('names the JSON path of schema errors and unresolved references', async () => {
    const doc = structuredClone(exported) as unknown as { devices: Record<string, unknown>[]; racks: Record<string, unknown>[]; version: number };
    doc.devices[3]!.position = 'U7';
    doc.racks[0]!.maxPowerKw = -1;
    const schema = await importError(importInventory(scratch.db, doc, { actor: 'test' }));
    expect(schema.issues.map((i) => i.field)).toEqual(['racks.0.maxPowerKw', 'devices.3.position']);
    expect(schema.issues[0]!.reason).toBe('must be more than 0 kW');

    const refs = structuredClone(exported);
    refs.devices[5]!.rack = { site: 'ams-ai-1', hall: 'hall-a', rack: 'Z9-99' };
    refs.links[0]!.b = { device: 'nope', interface: 'p1' };
    const unresolved = await importError(importInventory(scratch.db, refs, { actor: 'test' }));
    expect(unresolved.issues).toEqual([
      { field: 'devices.5.rack', reason: 'names rack "Z9-99" of hall "hall-a" (site "ams-ai-1"), which is not in the document' },
      { field: 'links.0.b', reason: 'names interface "p1" of device "nope", which is not in the document' },
    ]);

    const dup = structuredClone(exported);
    dup.devices.push({ ...dup.devices[0]!, rack: null, position: null, face: null });
    const duplicate = await importError(importInventory(scratch.db, dup, { actor: 'test' }));
    expect(duplicate.issues[0]).toEqual({ field: `devices.${dup.devices.length - 1}`, reason: 'duplicates devices.0 (same name)' });

    const cabled = structuredClone(exported);
    cabled.links[1]!.a = cabled.links[0]!.a;
    const twice = await importError(importInventory(scratch.db, cabled, { actor: 'test' }));
    expect(twice.issues).toEqual([{ field: 'links.1.a', reason: 'is an interface already cabled by another link' }]);

    await expect(importInventory(scratch.db, { format: 'plenum-inventory', version: 2 }, { actor: 'test' })).rejects.toThrow(/version: must be 1/);
    expect(await inventoryRowCounts(scratch.db)).toEqual({});
  });

  it('checks everything and writes nothing on a dry run', async () => {
    const result = await importInventory(scratch.db, exported, { actor: 'test', dryRun: true });
    expect(result).toMatchObject({ dryRun: true, counts: { sites: 1, devices: exported.devices.length } });
    expect(await inventoryRowCounts(scratch.db)).toEqual({});
  });

  it('serves export and import through tRPC with field errors', async () => {
    const caller = createCaller(createContext(scratch));
    const doc = structuredClone(exported);
    doc.devices[2]!.face = null;
    await expect(caller.inventory.import({ document: doc })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      fieldErrors: [{ field: 'devices.2.face', reason: 'is required when the device is in a rack' }],
    });
    const ok = await caller.inventory.import({ document: exported });
    expect(ok.counts.accelerators).toBe(704 + 192);
    expect(withoutDate(await caller.inventory.export())).toEqual(withoutDate(exported));
    await expect(caller.inventory.import({ document: exported })).rejects.toMatchObject({ code: 'PRECONDITION_FAILED' });
  });
});
