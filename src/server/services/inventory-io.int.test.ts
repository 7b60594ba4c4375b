import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../tests/db';
import { createCaller } from '../api/root';
import { createContext } from '../api/trpc';
import { seedIfEmpty } from '../db/seed';
import { podLinks } from '@/domain/tpu-torus';
import { loadTpuPods } from './scheduler/tpu';
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
    // TPU state that must survive the trip: one failed chip and one ICI link down in the v5e pod.
    await source.pool.query(`
      UPDATE accelerators SET health = 'failed' WHERE id = (
        SELECT c.accelerator_id FROM tpu_chips c JOIN tpu_pods p ON p.id = c.pod_id WHERE p.torus = '2d' AND c.x = 3 AND c.y = 5)`);
    await source.pool.query(`
      UPDATE tpu_ici_links SET state = 'down' WHERE id = (
        SELECT l.id FROM tpu_ici_links l JOIN tpu_chips a ON a.accelerator_id = l.chip_a JOIN tpu_chips b ON b.accelerator_id = l.chip_b
        JOIN tpu_pods p ON p.id = l.pod_id
        WHERE p.torus = '2d' AND a.x + a.y + b.x + b.y = 5 AND LEAST(a.x, b.x) = 1 AND a.y = 1 AND b.y = 1)`);
    exported = await exportInventory(source.db);
  });
  afterAll(() => Promise.all([source, target, scratch].map((d) => d?.drop())));

  it('exports a versioned document with natural keys and no database ids', () => {
    expect(exported).toMatchObject({ format: 'plenum-inventory', version: 1 });
    expect(exported.sites.map((x) => x.slug)).toEqual(['ams-ai-1']);
    // 704 GPUs and the TPU hall's 192 chips, which the TPU sections place in their pods.
    expect(exported.accelerators).toHaveLength(704 + 192);
    expect(exported.tpuPods.map((p) => [p.generation, p.torus, p.dims.join('x')])).toEqual([
      ['tpu-v5e', '2d', '8x8x1'],
      ['tpu-v5p', '3d', '4x4x8'],
    ]);
    expect(exported.tpuChips).toHaveLength(192);
    // Every wire each pod has, as the torus model wires it (3D: inside each cube; 2D: with the wrap-around rings).
    const wires = exported.tpuPods.reduce((n, p) => n + podLinks({ torus: p.torus, dims: p.dims, cubeEdge: p.cubeEdge, wraps: [p.wrapX, p.wrapY, false] }).length, 0);
    expect(exported.tpuIciLinks).toHaveLength(wires);
    expect(exported.tpuIciLinks.filter((l) => l.state === 'down')).toEqual([
      { pod: exported.tpuPods[0]!.name, a: { x: 1, y: 1, z: 0 }, b: { x: 2, y: 1, z: 0 }, state: 'down', changedAt: expect.any(String) },
    ]);
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
    // The scheduler reads the imported pods as it read the originals: same chips at the same coordinates, the same
    // chip unhealthy and the same ICI link down (database ids differ, so compare by coordinates).
    const byCoordinates = async (db: TestDatabase['db']) =>
      (await loadTpuPods(db))
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((p) => ({
        name: p.name,
        torus: p.torus,
        dims: p.dims,
        cubeEdge: p.cubeEdge,
        wraps: p.wraps,
        chips: p.chips.map((c) => ({ coord: c.coord, healthy: c.healthy, busy: c.busy })).sort((a, b) => a.coord.join().localeCompare(b.coord.join())),
        downLinks: p.downLinks,
      }));
    const imported = await byCoordinates(target.db);
    expect(imported).toEqual(await byCoordinates(source.db));
    const v5e = imported.find((p) => p.torus === '2d')!;
    expect(v5e.chips.filter((c) => !c.healthy).map((c) => c.coord)).toEqual([[3, 5, 0]]);
    expect(v5e.downLinks).toHaveLength(1);
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

  it('imports nothing when a TPU chip lies outside its torus or an ICI link joins chips that are not neighbours', async () => {
    const pod = exported.tpuPods.find((p) => p.torus === '2d')!;
    const outside = structuredClone(exported);
    const chip = outside.tpuChips.findIndex((c) => c.pod === pod.name && c.x === 7 && c.y === 7);
    outside.tpuChips[chip]!.x = 8;
    const out = await importError(importInventory(scratch.db, outside, { actor: 'test' }));
    // The chip is refused by its field, and the two links that reached it now name no chip at (7, 7, 0).
    expect(out.issues[0]).toEqual({ field: `tpuChips.${chip}.x`, reason: `is 8, outside pod "${pod.name}" (8×8: x runs 0-7)` });
    expect(out.issues.slice(1).map((i) => i.reason)).toEqual([
      `names no chip of pod "${pod.name}" at (7, 7, 0)`,
      `names no chip of pod "${pod.name}" at (7, 7, 0)`,
      `names no chip of pod "${pod.name}" at (7, 7, 0)`,
      `names no chip of pod "${pod.name}" at (7, 7, 0)`,
    ]);
    expect(await inventoryRowCounts(scratch.db)).toEqual({});

    const skewed = structuredClone(exported);
    const link = skewed.tpuIciLinks.findIndex((l) => l.pod === pod.name && l.a.x === 2 && l.a.y === 2 && l.b.x === 3 && l.b.y === 2);
    skewed.tpuIciLinks[link]!.b = { x: 4, y: 2, z: 0 };
    const notNeighbours = await importError(importInventory(scratch.db, skewed, { actor: 'test' }));
    expect(notNeighbours.issues).toEqual([
      {
        field: `tpuIciLinks.${link}.b`,
        reason: `(4, 2, 0) is not a torus neighbour of (2, 2, 0) in pod "${pod.name}" (8×8; ICI links join adjacent chips (and the ends of an axis with wrap links))`,
      },
    ]);
    expect(await inventoryRowCounts(scratch.db)).toEqual({});

    // A v5p cube's chips are wired inside the cube only: (0,0,3)-(0,0,4) crosses to the next cube (the OCS's job).
    const v5p = exported.tpuPods.find((p) => p.torus === '3d')!;
    const crossing = structuredClone(exported);
    crossing.tpuIciLinks.push({ pod: v5p.name, a: { x: 0, y: 0, z: 3 }, b: { x: 0, y: 0, z: 4 }, state: 'up' });
    const acrossCubes = await importError(importInventory(scratch.db, crossing, { actor: 'test' }));
    expect(acrossCubes.issues).toEqual([
      {
        field: `tpuIciLinks.${crossing.tpuIciLinks.length - 1}.b`,
        reason: `(0, 0, 4) is not a torus neighbour of (0, 0, 3) in pod "${v5p.name}" (4×4×8; ICI links join adjacent chips inside one 4×4×4 cube)`,
      },
    ]);

    // The pod itself is checked against its generation and torus by the schema.
    const flat = structuredClone(exported) as unknown as { tpuPods: Record<string, unknown>[] };
    const at = exported.tpuPods.indexOf(pod);
    flat.tpuPods[at]!.dims = [8, 8, 2];
    const schema = await importError(importInventory(scratch.db, flat, { actor: 'test' }));
    expect(schema.issues).toEqual([{ field: `tpuPods.${at}.dims.2`, reason: 'must be 1 for a 2D torus' }]);
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
