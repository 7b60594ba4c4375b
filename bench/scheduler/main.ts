// npx tsx bench/scheduler/main.ts [--nodes node.csv] [--pods pod.csv | --workload default] --seeds 42-51
//   --policy random|bestfit|fgd|plenum [--json] [--verify]
// Replays the openb trace (see openb.ts for the protocol) and prints the GPU allocation ratio at 100 % and 130 %
// arrived, per seed and as the mean, with per-decision latency.

import { readFileSync } from 'node:fs';
import { POLICIES, type Policy, parseNodes, parsePods, replay, typicalWorkloadOf, verifyReplay } from './openb';
import { OPENB_TRACE_DIR } from './trace-dir';

const traceDir = OPENB_TRACE_DIR;

function usage(message: string): never {
  console.error(`${message}
usage: tsx bench/scheduler/main.ts [--nodes FILE] [--pods FILE | --workload NAME] [--seeds 42-51] [--policy P] [--json] [--verify]
  --workload default|gpushare40|multigpu20|cpu100|gpuspec10  (openb_pod_list_NAME.csv in ${traceDir})
  --policy ${POLICIES.join('|')}  (default plenum)`);
  process.exit(2);
}

function parseSeeds(text: string): number[] {
  const seeds: number[] = [];
  for (const part of text.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) usage(`bad --seeds ${text}`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    for (let s = from; s <= to; s++) seeds.push(s);
  }
  return seeds;
}

function parseArgs(argv: string[]) {
  const args = {
    nodes: `${traceDir}/openb_node_list_gpu_node.csv`,
    pods: `${traceDir}/openb_pod_list_default.csv`,
    seeds: parseSeeds('42-51'),
    policy: 'plenum' as Policy,
    json: false,
    verify: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    if (a === '--nodes') args.nodes = value();
    else if (a === '--pods') args.pods = value();
    else if (a === '--workload') {
      const name = value().replace(/^openb_pod_list_/, '').replace(/\.csv$/, '');
      args.pods = `${traceDir}/openb_pod_list_${name}.csv`;
    } else if (a === '--seeds') args.seeds = parseSeeds(value());
    else if (a === '--policy') {
      const p = value();
      if (!POLICIES.includes(p as Policy)) usage(`unknown policy ${p}`);
      args.policy = p as Policy;
    } else if (a === '--json') args.json = true;
    else if (a === '--verify') args.verify = true;
    else if (a === '--') continue;
    else usage(`unknown argument ${a}`);
  }
  return args;
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (x: number, digits: number) => Number(x.toFixed(digits));

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const nodes = parseNodes(readFileSync(args.nodes, 'utf8'));
  const pods = parsePods(readFileSync(args.pods, 'utf8'));
  const workload = typicalWorkloadOf(pods, args.policy, nodes);
  const podsByName = new Map(pods.map((p) => [p.name, p]));
  const results = [];
  for (const seed of args.seeds) {
    const r = replay(nodes, pods, args.policy, seed, workload);
    if (args.verify) {
      const problems = verifyReplay(nodes, r, podsByName);
      if (problems.length > 0) {
        console.error(`seed ${seed}: ${problems.length} invariant violations, first: ${problems.slice(0, 5).join('; ')}`);
        process.exitCode = 1;
      }
    }
    if (!args.json) {
      console.log(
        `seed ${seed}  ${args.policy}  alloc@100 ${r.allocPctAt100.toFixed(2)} %  alloc@130 ${r.allocPctAt130.toFixed(2)} %` +
          `  placed ${r.placed}/${r.arrived}  decision p50 ${r.decisionMsP50.toFixed(3)} ms p99 ${r.decisionMsP99.toFixed(3)} ms` +
          `  ${r.seconds.toFixed(1)} s`,
      );
    }
    results.push(r);
  }
  const summary = {
    policy: args.policy,
    seeds: args.seeds,
    alloc_pct_at_100: round(mean(results.map((r) => r.allocPctAt100)), 3),
    alloc_pct_at_130: round(mean(results.map((r) => r.allocPctAt130)), 3),
    seconds: round(median(results.map((r) => r.seconds)), 2),
    seconds_total: round(
      results.reduce((s, r) => s + r.seconds, 0),
      2,
    ),
    decision_ms_p50: round(median(results.map((r) => r.decisionMsP50)), 4),
    decision_ms_p99: round(median(results.map((r) => r.decisionMsP99)), 4),
    workload: args.pods.split('/').pop(),
    nodes: nodes.length,
    per_seed: results.map((r) => ({
      seed: r.seed,
      alloc_pct_at_100: round(r.allocPctAt100, 3),
      alloc_pct_at_130: round(r.allocPctAt130, 3),
      placed: r.placed,
      arrived: r.arrived,
      seconds: round(r.seconds, 2),
    })),
  };
  if (args.json) console.log(JSON.stringify(summary));
  else {
    console.log(
      `mean over ${results.length} seeds: alloc@100 ${summary.alloc_pct_at_100.toFixed(2)} %  alloc@130 ${summary.alloc_pct_at_130.toFixed(2)} %` +
        `  median decision p50 ${summary.decision_ms_p50} ms p99 ${summary.decision_ms_p99} ms  median ${summary.seconds} s/seed`,
    );
  }
}

main();
