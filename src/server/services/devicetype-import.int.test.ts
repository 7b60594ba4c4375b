import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { and, count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../tests/db';
import { createCaller } from '../api/root';
import { createContext } from '../api/trpc';
import * as s from '../db/schema';
import { seedIfEmpty } from '../db/seed';
import { type DeviceTypeFile, importDeviceTypeFiles } from './devicetype-import';

// The fixtures live next to the repository: <repo>/../shared (the same place in CI).
const LIBRARY = fileURLToPath(new URL('../../../../shared/fixtures/devicetype-library/', import.meta.url));

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)]));
}
const read = (path: string): DeviceTypeFile => ({ name: path, content: readFileSync(join(LIBRARY, path), 'utf8') });
const libraryFiles = [...walk(join(LIBRARY, 'device-types')), ...walk(join(LIBRARY, 'forks'))]
  .map((path) => relative(LIBRARY, path))
  .filter((path) => /\.ya?ml$/.test(path))
  .sort()
  .map(read);

/** The fixture files that must be refused, with the field each names. */
const KNOWN_BAD: Record<string, { field: string; reason: RegExp }> = {
  'device-types/Eaton/Tripp-Lite-PDUMVR30HVNETLX.yaml': { field: 'power-outlets[7].name', reason: /must be a string, got the number 8/ },
  'device-types/Vertiv/geist-rpdu-gi10022l.yaml': { field: 'power-outlets[7].name', reason: /must be a string, got the number 8/ },
  'device-types/Lenovo/ThinkSystem-SR685a-v3.yaml': { field: 'module-slots', reason: /not a field of the library schema \(did you mean "module-bays"\?\)/ },
  'forks/leafcloudhq/device-types/Dell/PowerEdge-XE9680.yaml': { field: 'module-bays[8].name', reason: /duplicate name "SXM5"/ },
};

async function tableCounts(database: TestDatabase) {
  const [types] = await database.db.select({ n: count() }).from(s.deviceTypes);
  const [makers] = await database.db.select({ n: count() }).from(s.manufacturers);
  const [changes] = await database.db.select({ n: count() }).from(s.changeLog).where(eq(s.changeLog.objectType, 'device-type'));
  return { deviceTypes: types!.n, manufacturers: makers!.n, changes: changes!.n };
}

describe('NetBox device-type import into device_types', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  it('imports every library file except the known-bad ones, which name a field and a reason', async () => {
    expect(libraryFiles).toHaveLength(40);
    const result = await importDeviceTypeFiles(database.db, libraryFiles, { actor: 'test' });
    expect(result.files.map((f) => f.file)).toEqual(libraryFiles.map((f) => f.name));
    for (const file of result.files) {
      const bad = KNOWN_BAD[file.file];
      if (bad) {
        expect(file.status, file.file).toBe('rejected');
        expect(file.errors![0]!.field).toBe(bad.field);
        expect(file.errors![0]!.reason).toMatch(bad.reason);
        expect(file.message).toMatch(new RegExp(`^rejected: ${file.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ${bad.field.replace(/[[\]]/g, '\\$&')}: `));
      } else {
        expect(file.status, `${file.file}: ${file.message}`).toBe('imported');
      }
    }
    expect(result.summary).toEqual({ imported: 36, updated: 0, skipped: 0, rejected: 4 });
    expect(await tableCounts(database)).toMatchObject({ deviceTypes: 36, changes: 36 });
    const [{ n: netbox }] = (await database.db.select({ n: count() }).from(s.deviceTypes).where(eq(s.deviceTypes.source, 'netbox'))) as [{ n: number }];
    expect(netbox).toBe(36);
  });

  it('maps the library fields into our columns', async () => {
    const [qm9700] = await database.db.select().from(s.deviceTypes).where(eq(s.deviceTypes.slug, 'nvidia-qm9700'));
    expect(qm9700).toMatchObject({ model: 'QM9700', kind: 'switch', uHeight: 1, isFullDepth: true, airflow: 'rear-to-front', weightKg: 14.8, source: 'netbox', nameplatePowerW: 0 });
    expect(qm9700!.sourceHash).toMatch(/^[0-9a-f]{64}$/);
    expect(qm9700!.interfaceTemplates).toHaveLength(62);
    expect(qm9700!.interfaceTemplates.every((i) => i.kind === 'infiniband' && i.speedGbps === 400)).toBe(true);
    // Its PSUs state no maximum_draw, so they cannot be cabled by rating: no PSU templates.
    expect(qm9700!.psuTemplates).toEqual([]);

    const [qm8700] = await database.db.select().from(s.deviceTypes).where(eq(s.deviceTypes.slug, 'mellanox-qm8700'));
    expect(qm8700).toMatchObject({ nameplatePowerW: 2200, kind: 'switch' });
    expect(qm8700!.psuTemplates.map((p) => p.maximumDrawW)).toEqual([1100, 1100]);

    const [pdu] = await database.db
      .select({ t: s.deviceTypes, maker: s.manufacturers.name })
      .from(s.deviceTypes)
      .innerJoin(s.manufacturers, eq(s.manufacturers.id, s.deviceTypes.manufacturerId))
      .where(eq(s.deviceTypes.model, 'AP8881'));
    expect(pdu).toMatchObject({ maker: 'APC', t: { kind: 'rack-pdu', uHeight: 0, weightKg: 6.382 } });
    const [maker] = await database.db.select().from(s.manufacturers).where(eq(s.manufacturers.name, 'Pure Storage'));
    expect(maker?.slug).toBe('pure-storage');
  });

  it('creates nothing when the same files are imported again: all skipped', async () => {
    const before = await tableCounts(database);
    const result = await importDeviceTypeFiles(database.db, libraryFiles, { actor: 'test' });
    expect(result.summary).toEqual({ imported: 0, updated: 0, skipped: 36, rejected: 4 });
    expect(result.files.filter((f) => f.status === 'skipped').every((f) => f.message === 'skipped (already present)')).toBe(true);
    expect(await tableCounts(database)).toEqual(before);
  });

  it('updates a type whose file changed, and says so in the change log', async () => {
    const file = read('device-types/Arista/DCS-7060CX-32S-F.yaml');
    const changed = { name: file.name, content: file.content.replace(/^comments: .*$/m, 'comments: revised by the vendor') };
    expect(changed.content).not.toBe(file.content);
    const before = await tableCounts(database);
    const result = await importDeviceTypeFiles(database.db, [changed], { actor: 'test' });
    expect(result.files[0]).toMatchObject({ status: 'updated', message: 'updated (content changed)' });
    const after = await tableCounts(database);
    expect(after).toEqual({ ...before, changes: before.changes + 1 });
    const [entry] = await database.db
      .select()
      .from(s.changeLog)
      .where(and(eq(s.changeLog.objectType, 'device-type'), eq(s.changeLog.action, 'update'), eq(s.changeLog.objectId, String(result.files[0]!.deviceTypeId))));
    expect(entry).toBeDefined();
    // The original file is now the change: importing it again is an update back, not a skip.
    expect((await importDeviceTypeFiles(database.db, [file], { actor: 'test' })).files[0]!.status).toBe('updated');
  });

  it('rejects a fractional height, a module type and a non-YAML file, writing nothing', async () => {
    const base = read('device-types/Mellanox/SN2100.yaml');
    const half = {
      name: 'device-types/Test/half-height.yaml',
      content: base.content.replace(/^model: .*$/m, 'model: Half Height Test').replace(/^slug: .*$/m, 'slug: test-half-height').replace(/^u_height: .*$/m, 'u_height: 1.5'),
    };
    const before = await tableCounts(database);
    const result = await importDeviceTypeFiles(database.db, [half, read('module-types/Arista/PWR-1900-AC-F.yaml'), { name: 'notes.txt', content: 'x' }], { actor: 'test' });
    expect(result.files.map((f) => f.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(result.files[0]!.errors).toEqual([{ field: 'u_height', reason: 'is 1.5 U; Plenum stores whole rack units only (0-60)' }]);
    expect(result.files[0]!.message).toBe('rejected: device-types/Test/half-height.yaml: u_height: is 1.5 U; Plenum stores whole rack units only (0-60)');
    expect(result.files[1]!.errors![0]!.reason).toMatch(/module type/);
    expect(result.files[2]!.errors![0]).toEqual({ field: '(file)', reason: 'is not a .yaml or .yml file' });
    expect(await tableCounts(database)).toEqual(before);
  });

  it('rejects a second file for the same manufacturer and model in one import', async () => {
    const file = read('device-types/Nvidia/SN5600.yaml');
    const copy = { name: 'elsewhere/SN5600.yaml', content: `${file.content}\n` };
    const result = await importDeviceTypeFiles(database.db, [file, copy], { actor: 'test' });
    expect(result.files.map((f) => f.status)).toEqual(['skipped', 'rejected']);
    expect(result.files[1]!.errors![0]).toMatchObject({ field: 'model' });
  });

  it('serves import and a paged, searchable list through tRPC, with size limits', async () => {
    const caller = createCaller(createContext(database));
    const answer = await caller.deviceTypes.import({ files: [read('device-types/Nvidia/QM9700.yaml')] });
    expect(answer.summary.skipped).toBe(1);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof caller.deviceTypes.list>> = await caller.deviceTypes.list({ limit: 7, cursor });
      seen.push(...page.items.map((t) => t.slug));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(36);
    expect(new Set(seen).size).toBe(36);
    const search = await caller.deviceTypes.list({ search: 'qm' });
    expect(search.items.map((t) => t.model).sort()).toEqual(['QM8700', 'QM9700']);
    const pdus = await caller.deviceTypes.list({ kind: 'rack-pdu' });
    expect(pdus.items.every((t) => t.kind === 'rack-pdu')).toBe(true);

    const tooMany = Array.from({ length: 201 }, (_, i) => ({ name: `f${i}.yaml`, content: '' }));
    await expect(caller.deviceTypes.import({ files: tooMany })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    const huge = { name: 'huge.yaml', content: 'x'.repeat(512 * 1024 + 1) };
    await expect(caller.deviceTypes.import({ files: [huge] })).rejects.toThrow(/larger than 512 KiB/);
  });
});

describe('NetBox import next to built-in types', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
    await seedIfEmpty(database.db, 'demo');
  });
  afterAll(() => database.drop());

  it('never overwrites a built-in type with the same manufacturer and model', async () => {
    const [before] = await database.db.select().from(s.deviceTypes).where(eq(s.deviceTypes.slug, 'nvidia-qm9700'));
    const result = await importDeviceTypeFiles(database.db, [read('device-types/Nvidia/QM9700.yaml')], { actor: 'test' });
    expect(result.files[0]).toMatchObject({ status: 'skipped', message: 'skipped (already present as a builtin type "nvidia-qm9700", not overwritten)' });
    const [after] = await database.db.select().from(s.deviceTypes).where(eq(s.deviceTypes.slug, 'nvidia-qm9700'));
    expect(after).toEqual(before);
    // A new type of an existing manufacturer ("Nvidia" in the file, "NVIDIA" here) joins that manufacturer.
    const mellanox = await importDeviceTypeFiles(database.db, [read('device-types/Mellanox/SN2100.yaml')], { actor: 'test' });
    expect(mellanox.files[0]!.status).toBe('imported');
    const makers = await database.db.select().from(s.manufacturers);
    expect(makers.filter((m) => m.slug === 'nvidia')).toHaveLength(1);
  });
});
