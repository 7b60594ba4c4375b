/**
 * Device-type import and YAML alias bombs (issue 11, finding 6): a "billion laughs" file is rejected on its own with
 * a clear error, and the files before and after it in the same batch are imported (before: the whole call failed after
 * the earlier files had committed). Real PostgreSQL, the real NetBox schema validator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedIfEmpty } from '../src/server/db/seed';
import { importDeviceTypeFiles } from '../src/server/services/devicetype-import';
import { createTestDatabase, type TestDatabase } from './db';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
  await seedIfEmpty(database.db, 'demo');
});
afterAll(async () => {
  await database?.drop();
});

const deviceType = (model: string) => `manufacturer: Fuzzco\nmodel: ${model}\nslug: fuzzco-${model.toLowerCase()}\nu_height: 1\nis_full_depth: true\nis_powered: false\n`;

function aliasBomb(): string {
  let yaml = `${deviceType('Bomb')}comments: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n`;
  let previous = 'a';
  for (const name of ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i']) {
    yaml += `x-${name}: &${name} [${Array(9).fill(`*${previous}`).join(', ')}]\n`;
    previous = name;
  }
  return yaml;
}

describe('device-type import: alias bomb', () => {
  it('rejects the bomb file with a clear error and imports the other files of the batch', async () => {
    const result = await importDeviceTypeFiles(
      database.db,
      [
        { name: 'device-types/Fuzzco/first.yaml', content: deviceType('First') },
        { name: 'device-types/Fuzzco/bomb.yaml', content: aliasBomb() },
        { name: 'device-types/Fuzzco/last.yaml', content: deviceType('Last') },
      ],
      { actor: 'test' },
    );
    expect(result.files.map((f) => [f.file, f.status]), JSON.stringify(result.files)).toEqual([
      ['device-types/Fuzzco/first.yaml', 'imported'],
      ['device-types/Fuzzco/bomb.yaml', 'rejected'],
      ['device-types/Fuzzco/last.yaml', 'imported'],
    ]);
    expect(JSON.stringify(result.files[1])).toMatch(/\(yaml\).*too many aliases/);
    const stored = await database.pool.query<{ model: string }>(`SELECT model FROM device_types WHERE model IN ('First', 'Bomb', 'Last') ORDER BY model`);
    expect(stored.rows.map((r) => r.model)).toEqual(['First', 'Last']);
  });
});
