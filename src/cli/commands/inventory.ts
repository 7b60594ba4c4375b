import { readFile, writeFile } from 'node:fs/promises';
import { type Command, flag, requiredPositional, UsageError } from '../command';

function countsLine(counts: Record<string, number>): string {
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([section, n]) => `${n} ${section}`)
    .join(', ');
}

export const inventoryCommands: Record<string, Command> = {
  'inventory export': {
    usage: 'inventory export [--out <file>] [--json]',
    summary: 'export the whole inventory as a plenum-inventory JSON document (to --out, or to stdout)',
    run: async (client, args) => {
      const document = await client.inventory.export.query();
      const out = flag(args, 'out');
      const counts = Object.fromEntries(Object.entries(document).filter(([, v]) => Array.isArray(v)).map(([k, v]) => [k, (v as unknown[]).length]));
      if (!out) return { json: document, text: JSON.stringify(document, null, 2) };
      await writeFile(out, `${JSON.stringify(document, null, 2)}\n`, 'utf8');
      return { json: { file: out, exportedAt: document.exportedAt, counts }, text: `wrote ${out}: ${countsLine(counts)}` };
    },
  },

  'inventory import': {
    usage: 'inventory import <file> [--dry-run] [--json]',
    summary: 'import a plenum-inventory JSON document into an EMPTY inventory, all or nothing (--dry-run checks only)',
    run: async (client, args) => {
      const file = requiredPositional(args, 0, 'the document file');
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch {
        throw new UsageError(`cannot read ${file}`);
      }
      let document: unknown;
      try {
        document = JSON.parse(text);
      } catch (error) {
        throw new Error(`${file}: not JSON: ${(error as Error).message}`);
      }
      const dryRun = args.flags.has('dry-run');
      const result = await client.inventory.import.mutate({ document, dryRun });
      const summary = countsLine(result.counts);
      return { json: result, text: dryRun ? `dry run: ${file} is valid and would import ${summary}; nothing written` : `imported ${file}: ${summary}` };
    },
  },
};
