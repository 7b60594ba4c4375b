import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type Command, flag, UsageError } from '../command';

/** Must match the server's limits (src/server/services/devicetype-import.ts). */
const MAX_FILES_PER_REQUEST = 200;
const MAX_FILE_BYTES = 512 * 1024;
/** Keeps one request's body well under typical proxy limits. */
const MAX_BATCH_BYTES = 8 * 1024 * 1024;

type FileResult = { file: string; status: 'imported' | 'updated' | 'skipped' | 'rejected'; message: string };

/** The .yaml/.yml files named, folders searched recursively, in a stable order. */
async function collectYamlFiles(paths: string[]): Promise<string[]> {
  const found: string[] = [];
  async function visit(path: string, explicit: boolean): Promise<void> {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(path);
    } catch {
      throw new UsageError(`no such file or folder: ${path}`);
    }
    if (info.isDirectory()) {
      const entries = (await readdir(path)).sort();
      for (const entry of entries) if (!entry.startsWith('.')) await visit(join(path, entry), false);
    } else if (explicit || /\.ya?ml$/i.test(path)) found.push(path);
  }
  for (const path of paths) await visit(path, true);
  return found;
}

export const deviceTypeCommands: Record<string, Command> = {
  'devicetypes import': {
    usage: 'devicetypes import <file-or-folder>... [--json]',
    summary:
      'import NetBox devicetype-library YAML files (folders searched for .yaml/.yml); one line per file and a summary; exits 0 when the import ran, even if some files were rejected (see the summary)',
    run: async (client, args) => {
      if (args.positional.length === 0) throw new UsageError('name at least one file or folder');
      const paths = await collectYamlFiles(args.positional);
      if (paths.length === 0) throw new UsageError(`no .yaml or .yml files in ${args.positional.join(', ')}`);
      const results: FileResult[] = [];
      let batch: { name: string; content: string }[] = [];
      let batchBytes = 0;
      const send = async () => {
        if (batch.length === 0) return;
        const answer = await client.deviceTypes.import.mutate({ files: batch });
        results.push(...answer.files);
        batch = [];
        batchBytes = 0;
      };
      for (const path of paths) {
        const content = await readFile(path, 'utf8');
        const bytes = Buffer.byteLength(content, 'utf8');
        if (bytes > MAX_FILE_BYTES) {
          results.push({ file: path, status: 'rejected', message: `rejected: ${path}: (file): is larger than ${MAX_FILE_BYTES / 1024} KiB` });
          continue;
        }
        if (batch.length >= MAX_FILES_PER_REQUEST || batchBytes + bytes > MAX_BATCH_BYTES) await send();
        batch.push({ name: path, content });
        batchBytes += bytes;
      }
      await send();
      const summary = { imported: 0, updated: 0, skipped: 0, rejected: 0 };
      for (const r of results) summary[r.status]++;
      const lines = results.map((r) => (r.status === 'rejected' ? r.message : `${r.file}: ${r.message}`));
      lines.push(`${results.length} files: ${summary.imported} imported, ${summary.updated} updated, ${summary.skipped} skipped, ${summary.rejected} rejected`);
      return { json: { files: results, summary }, text: lines.join('\n') };
    },
  },

  'devicetypes list': {
    usage: 'devicetypes list [--search <text>] [--kind <kind>] [--source <builtin|netbox>] [--json]',
    summary: 'list device types (manufacturer, model, height, power, source)',
    run: async (client, args) => {
      const filters = {
        search: flag(args, 'search'),
        kind: flag(args, 'kind') as Parameters<typeof client.deviceTypes.list.query>[0]['kind'],
        source: flag(args, 'source'),
      };
      const items: Awaited<ReturnType<typeof client.deviceTypes.list.query>>['items'] = [];
      let cursor: string | null = null;
      do {
        const page: Awaited<ReturnType<typeof client.deviceTypes.list.query>> = await client.deviceTypes.list.query({ ...filters, cursor, limit: 500 });
        items.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      const lines = items.map(
        (t) => `${t.manufacturer} ${t.model}  (${t.slug})  ${t.kind}, ${t.uHeight}U, ${t.nameplatePowerW} W nameplate, ${t.interfaceCount} interfaces, ${t.source}`,
      );
      lines.push(`${items.length} device types`);
      return { json: items, text: lines.join('\n') };
    },
  },
};
