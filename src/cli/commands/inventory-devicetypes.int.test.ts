import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createHTTPServer } from '@trpc/server/adapters/standalone';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRouter } from '@/server/api/root';
import { createContext } from '@/server/api/trpc';
import { seedIfEmpty } from '@/server/db/seed';
import { createTestDatabase, type TestDatabase } from '../../../tests/db';
import { main } from '../main';

const LIBRARY = fileURLToPath(new URL('../../../../shared/fixtures/devicetype-library/', import.meta.url));

function sink() {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += chunk;
      done();
    },
  });
  return { stream, text: () => text };
}

/** The CLI commands against a real tRPC HTTP server on a test database. */
describe('plenum devicetypes / inventory commands', () => {
  let source: TestDatabase;
  let target: TestDatabase;
  let servers: ReturnType<typeof createHTTPServer>[] = [];
  let sourceUrl: string;
  let targetUrl: string;
  let folder: string;

  const serve = async (database: TestDatabase) => {
    const server = createHTTPServer({ router: appRouter, basePath: '/api/trpc/', createContext: () => createContext(database) });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  const run = async (argv: string[]) => {
    const out = sink();
    const err = sink();
    const code = await main(argv, out.stream, err.stream);
    return { code, out: out.text(), err: err.text() };
  };

  beforeAll(async () => {
    [source, target] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    await seedIfEmpty(source.db, 'demo');
    sourceUrl = await serve(source);
    targetUrl = await serve(target);
    folder = await mkdtemp(join(tmpdir(), 'plenum-cli-'));
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    servers = [];
    await rm(folder, { recursive: true, force: true });
    await Promise.all([source.drop(), target.drop()]);
  });

  it('devicetypes import: one line per file, a summary, exit 0 even with rejections; again: all skipped', async () => {
    const first = await run(['devicetypes', 'import', join(LIBRARY, 'device-types'), join(LIBRARY, 'forks'), '--url', targetUrl]);
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    const lines = first.out.trim().split('\n');
    expect(lines).toHaveLength(41);
    expect(lines.at(-1)).toBe('40 files: 36 imported, 0 updated, 0 skipped, 4 rejected');
    expect(lines.filter((l) => l.startsWith('rejected: '))).toHaveLength(4);
    expect(first.out).toContain('Lenovo/ThinkSystem-SR685a-v3.yaml: module-slots: is not a field of the library schema');

    const again = await run(['devicetypes', 'import', join(LIBRARY, 'device-types'), join(LIBRARY, 'forks'), '--url', targetUrl, '--json']);
    expect(JSON.parse(again.out).summary).toEqual({ imported: 0, updated: 0, skipped: 36, rejected: 4 });

    const list = await run(['devicetypes', 'list', '--search', 'qm', '--url', targetUrl]);
    expect(list.out).toContain('Nvidia QM9700');
    expect(list.out.trim().split('\n').at(-1)).toBe('2 device types');
    const missing = await run(['devicetypes', 'import', join(folder, 'nope'), '--url', targetUrl]);
    expect(missing.code).toBe(2);
  });

  it('inventory export --out, then import --dry-run and import into another server', async () => {
    const file = join(folder, 'inventory.json');
    const exported = await run(['inventory', 'export', '--out', file, '--url', sourceUrl]);
    expect(exported.code).toBe(0);
    expect(exported.out).toMatch(/^wrote .*inventory\.json: 1 sites, /);
    // The TPU hall's pods travel with their chips and ICI links (Hall T: a v5p 4×4×8 and a v5e 8×8 pod).
    expect(exported.out).toMatch(/, 2 tpuPods, 192 tpuChips, \d+ tpuIciLinks\n?$/);
    const document = JSON.parse(await readFile(file, 'utf8'));
    expect(document.format).toBe('plenum-inventory');

    // The target already holds device types from the test above: refused with one line, exit 1.
    const refused = await run(['inventory', 'import', file, '--url', targetUrl]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/^plenum: the inventory is not empty \(.*device types/);

    const empty = await createTestDatabase();
    try {
      const emptyUrl = await serve(empty);
      const dry = await run(['inventory', 'import', file, '--dry-run', '--url', emptyUrl]);
      expect(dry.code).toBe(0);
      expect(dry.out).toMatch(/^dry run: .* would import 1 sites, .*nothing written/);
      const broken = join(folder, 'broken.json');
      document.racks[0].uHeight = 0;
      await writeFile(broken, JSON.stringify(document));
      const bad = await run(['inventory', 'import', broken, '--url', emptyUrl]);
      expect(bad.code).toBe(1);
      expect(bad.err).toBe('plenum: racks.0.uHeight: must be at least 1 U\n');
      const ok = await run(['inventory', 'import', file, '--url', emptyUrl, '--json']);
      expect(ok.code).toBe(0);
      expect(JSON.parse(ok.out).counts).toMatchObject({ accelerators: 704 + 192, tpuPods: 2, tpuChips: 192, tpuIciLinks: document.tpuIciLinks.length }); // GPUs and the TPU hall's chips
    } finally {
      await empty.drop();
    }
  });
});
