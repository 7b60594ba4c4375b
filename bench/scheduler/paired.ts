// npx tsx bench/scheduler/paired.ts [--split visible|train|heldout] [--seeds 42-46] [--a fgd] [--b plenum]
//   [--only gpuspec33,default] [--json]
// Paired comparison of two placement policies on the openb protocol (openb.ts): the same arrival sequence and node
// names per seed for both, the GPU allocation ratio at 100 % and 130 % arrived, the per-seed difference b − a.
//   visible  the five published workload files (default, gpushare40, multigpu20, cpu100, gpuspec10), seeds 42-46
//   train    the generated variants of the training split (variants.ts), their own generator and replay seeds
//   heldout  the generated variants of the held-out split, other generator and replay seeds: the reported numbers

import { readFileSync } from 'node:fs';
import { POLICIES, type Policy, type TracePod, parseNodes, parsePods, replay, typicalWorkloadOf } from './openb';
import { OPENB_TRACE_DIR } from './trace-dir';
import { SPLITS, type SplitName, makeSplit, specPoolOf } from './variants';

const VISIBLE = ['default', 'gpushare40', 'multigpu20', 'cpu100', 'gpuspec10'];

function parseSeeds(text: string): number[] {
  const seeds: number[] = [];
  for (const part of text.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new Error(`--seeds: "${text}" is not N, N-M or a comma list of them`);
    for (let s = Number(m[1]); s <= Number(m[2] ?? m[1]); s++) seeds.push(s);
  }
  return seeds;
}

function parseArgs(argv: string[]) {
  const args = { split: 'visible' as 'visible' | SplitName, seeds: null as number[] | null, a: 'fgd' as Policy, b: 'plenum' as Policy, only: null as string[] | null, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--split') {
      const v = value();
      if (v !== 'visible' && v !== 'train' && v !== 'heldout') throw new Error(`--split: "${v}" is not visible, train or heldout`);
      args.split = v;
    } else if (a === '--seeds') args.seeds = parseSeeds(value());
    else if (a === '--a' || a === '--b') {
      const v = value() as Policy;
      if (!POLICIES.includes(v)) throw new Error(`${a}: unknown policy "${v}"; known: ${POLICIES.join(', ')}`);
      args[a === '--a' ? 'a' : 'b'] = v;
    } else if (a === '--only') args.only = value().split(',');
    else if (a === '--json') args.json = true;
    else if (a !== '--') throw new Error(`unknown argument ${a}`);
  }
  return args;
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
const fmt = (x: number) => (x >= 0 ? `+${x.toFixed(2)}` : x.toFixed(2));

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const nodes = parseNodes(readFileSync(`${OPENB_TRACE_DIR}/openb_node_list_gpu_node.csv`, 'utf8'));
  const load = (name: string) => parsePods(readFileSync(`${OPENB_TRACE_DIR}/openb_pod_list_${name}.csv`, 'utf8'));
  let workloads: Array<{ name: string; pods: TracePod[] }>;
  let seeds: number[];
  if (args.split === 'visible') {
    workloads = VISIBLE.map((name) => ({ name, pods: load(name) }));
    seeds = args.seeds ?? [42, 43, 44, 45, 46];
  } else {
    workloads = makeSplit(load('default'), nodes, args.split, specPoolOf(load('gpuspec10')));
    seeds = args.seeds ?? [...SPLITS[args.split].replaySeeds];
  }
  if (args.only) workloads = workloads.filter((w) => args.only!.includes(w.name));
  const rows = [];
  if (!args.json) {
    console.log(`split ${args.split}, seeds ${seeds.join(',')}: ${args.b} − ${args.a}, allocation % at 100 % and 130 % arrived\n`);
    console.log(`| workload | seed | ${args.a} @100 | ${args.b} @100 | Δ @100 | ${args.a} @130 | ${args.b} @130 | Δ @130 |`);
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  }
  for (const w of workloads) {
    const wa = typicalWorkloadOf(w.pods, args.a, nodes);
    const wb = typicalWorkloadOf(w.pods, args.b, nodes);
    const perSeed = [];
    for (const seed of seeds) {
      const ra = replay(nodes, w.pods, args.a, seed, wa);
      const rb = replay(nodes, w.pods, args.b, seed, wb);
      const row = { seed, a100: ra.allocPctAt100, b100: rb.allocPctAt100, a130: ra.allocPctAt130, b130: rb.allocPctAt130 };
      perSeed.push(row);
      if (!args.json) {
        console.log(
          `| ${w.name} | ${seed} | ${row.a100.toFixed(2)} | ${row.b100.toFixed(2)} | ${fmt(row.b100 - row.a100)} | ${row.a130.toFixed(2)} | ${row.b130.toFixed(2)} | ${fmt(row.b130 - row.a130)} |`,
        );
      }
    }
    const d100 = perSeed.map((r) => r.b100 - r.a100);
    const d130 = perSeed.map((r) => r.b130 - r.a130);
    const summary = {
      workload: w.name,
      a: args.a,
      b: args.b,
      a100: mean(perSeed.map((r) => r.a100)),
      b100: mean(perSeed.map((r) => r.b100)),
      a130: mean(perSeed.map((r) => r.a130)),
      b130: mean(perSeed.map((r) => r.b130)),
      meanDelta100: mean(d100),
      meanDelta130: mean(d130),
      seedsBAhead100: d100.filter((d) => d >= 0).length,
      seedsBAhead130: d130.filter((d) => d >= 0).length,
      seeds: seeds.length,
      perSeed,
    };
    rows.push(summary);
    if (!args.json) {
      console.log(
        `| **${w.name} mean** | ${seeds.length} seeds | ${summary.a100.toFixed(2)} | ${summary.b100.toFixed(2)} | **${fmt(summary.meanDelta100)}** (${summary.seedsBAhead100}/${seeds.length} ≥ 0) | ${summary.a130.toFixed(2)} | ${summary.b130.toFixed(2)} | **${fmt(summary.meanDelta130)}** (${summary.seedsBAhead130}/${seeds.length} ≥ 0) |`,
      );
    }
  }
  if (args.json) console.log(JSON.stringify({ split: args.split, seeds, rows }));
  else {
    console.log('\n| workload | mean Δ @100 | seeds ≥ 0 @100 | mean Δ @130 | seeds ≥ 0 @130 |');
    console.log('| --- | ---: | ---: | ---: | ---: |');
    for (const r of rows) console.log(`| ${r.workload} | ${fmt(r.meanDelta100)} | ${r.seedsBAhead100}/${r.seeds} | ${fmt(r.meanDelta130)} | ${r.seedsBAhead130}/${r.seeds} |`);
  }
}

main();
