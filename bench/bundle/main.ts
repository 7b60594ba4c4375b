/**
 * First-load JavaScript of app routes, gzipped, read from a production build (`.next`, made by `npm start` or
 * `npx next build`):
 *
 *   npx tsx bench/bundle/main.ts [--route /] [--route /dashboards/power] [--budget-kb 300] [--json]
 *
 * First load = the scripts every page loads (`build-manifest.json` rootMainFiles) plus the route's entry chunks for
 * its layouts and page (`server/app/<route>/page_client-reference-manifest.js` entryJSFiles), each file once. The
 * legacy polyfill chunk (`nomodule`, never run by current browsers) and chunks imported lazily later (mermaid) are
 * not part of it. Each file is gzipped at level 9 on its own, as a server sends it. Exit code 1 when a route is over
 * the budget, or when mermaid's code is in a route's first load (it must stay a lazy import).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { gzipSync } from 'node:zlib';

const args = process.argv.slice(2);
const routes: string[] = [];
let budgetKb = 300;
let json = false;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--route') routes.push(args[++i]!);
  else if (args[i] === '--budget-kb') budgetKb = Number(args[++i]);
  else if (args[i] === '--json') json = true;
  else {
    console.error(`unknown argument ${args[i]}`);
    process.exit(2);
  }
}
if (routes.length === 0) routes.push('/');

const dist = path.resolve(process.env.PLENUM_NEXT_DIR ?? '.next');
const buildManifest = JSON.parse(readFileSync(path.join(dist, 'build-manifest.json'), 'utf8')) as { rootMainFiles: string[]; polyfillFiles: string[] };

/** The route's client-reference manifest sets globalThis.__RSC_MANIFEST[<page>]; run it in a sandbox to read it. */
function entryFiles(route: string): string[] {
  const folder = route === '/' ? '' : route.replace(/^\//, '');
  const file = path.join(dist, 'server', 'app', folder, 'page_client-reference-manifest.js');
  const sandbox = { globalThis: {} as Record<string, unknown> };
  sandbox.globalThis = sandbox as unknown as Record<string, unknown>;
  vm.runInNewContext(readFileSync(file, 'utf8'), sandbox);
  const manifests = (sandbox as unknown as { __RSC_MANIFEST: Record<string, { entryJSFiles: Record<string, string[]> }> }).__RSC_MANIFEST;
  const manifest = Object.values(manifests)[0]!;
  const page = `/src/app/${folder ? `${folder}/` : ''}page`;
  // The page's own entry and every layout above it (the layouts' chunks are listed under their own keys).
  const keys = Object.keys(manifest.entryJSFiles).filter((k) => k.endsWith(page) || /\/src\/app(\/.*)?\/layout$/.test(k));
  return keys.flatMap((k) => manifest.entryJSFiles[k]!);
}

type Result = { route: string; files: number; rawBytes: number; gzipBytes: number; gzipKb: number; mermaidInFirstLoad: boolean; overBudget: boolean };
const results: Result[] = [];
for (const route of routes) {
  const files = [...new Set([...buildManifest.rootMainFiles, ...entryFiles(route)])].filter((f) => !buildManifest.polyfillFiles.includes(f));
  let rawBytes = 0;
  let gzipBytes = 0;
  let mermaid = false;
  for (const f of files) {
    const body = readFileSync(path.join(dist, f));
    rawBytes += body.length;
    gzipBytes += gzipSync(body, { level: 9 }).length;
    // `mermaidAPI` is defined inside mermaid itself; the lazy wrapper never names it.
    if (body.includes('mermaidAPI')) mermaid = true;
  }
  const gzipKb = gzipBytes / 1000;
  results.push({ route, files: files.length, rawBytes, gzipBytes, gzipKb: Math.round(gzipKb * 10) / 10, mermaidInFirstLoad: mermaid, overBudget: gzipKb > budgetKb });
}

if (json) console.log(JSON.stringify({ budgetKb, results }, null, 2));
else {
  for (const r of results) {
    console.log(
      `${r.route}: first-load JS ${r.gzipKb.toFixed(1)} kB gzipped (${(r.rawBytes / 1000).toFixed(1)} kB raw, ${r.files} files)` +
        ` · budget ${budgetKb} kB ${r.overBudget ? 'EXCEEDED' : 'ok'} · mermaid ${r.mermaidInFirstLoad ? 'IN FIRST LOAD' : 'lazy'}`,
    );
  }
}
process.exit(results.some((r) => r.overBudget || r.mermaidInFirstLoad) ? 1 : 0);
