/**
 * Node's CPU for the rollup queue, per sample: a flush writing its entries (`RollupDeltas.add`, `encode`) and the
 * rollup worker combining a run's entries into 1-minute buckets and encoding their blocks (`decodeDeltas`,
 * `combineDeltas`, `encodeMinuteBlocks`). No database: the shape of the large seed at 30 s (215,000 series, a flush of
 * 7,500 samples every second, a run taking a minute of flushes).
 *
 *   npx tsx bench/telemetry/rollup-deltas.ts [--reps 7]
 *
 * Prints the median over the repetitions of CPU µs per sample for each side, and the digest of the COPY body (the
 * same data gives the same bytes whatever the implementation).
 */
import { createHash } from 'node:crypto';
import { seededRandom } from '../../src/scheduler';
import { combineDeltas, decodeDeltas, encodeMinuteBlocks, RollupDeltas } from '../../src/server/services/telemetry/rollups';
import { arg, machine } from './common';

const SERIES = 215_000;
const PER_FLUSH = 7_500;
const FLUSHES = 60;
const reps = Number(arg('reps', '7'));

const rng = seededRandom(1);
const t0 = 1_790_000_000_000;
const flushes = Array.from({ length: FLUSHES }, (_, f) => {
  const ids = new Int32Array(PER_FLUSH);
  const ts = new Float64Array(PER_FLUSH);
  const values = new Float64Array(PER_FLUSH);
  for (let i = 0; i < PER_FLUSH; i++) {
    ids[i] = (f * PER_FLUSH + i) % SERIES;
    ts[i] = t0 + f * 1000 + (i % 1000);
    values[i] = Math.round(rng() * 7000) / 10;
  }
  return { ids, ts, values };
});
const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e3;
};

const flushMs: number[] = [];
const workerMs: number[] = [];
let digest = '';
for (let r = 0; r < reps; r++) {
  const a = cpuMs();
  const queued: Buffer[] = [];
  for (const f of flushes) {
    const deltas = new RollupDeltas();
    for (let i = 0; i < PER_FLUSH; i++) deltas.add(f.ids[i]!, f.ts[i]!, f.values[i]!);
    queued.push(Buffer.from(deltas.encode()));
  }
  const b = cpuMs();
  const { body } = encodeMinuteBlocks(combineDeltas(decodeDeltas(queued)));
  workerMs.push(cpuMs() - b);
  flushMs.push(b - a);
  digest = createHash('sha256').update(body).digest('hex').slice(0, 16);
}
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const samples = PER_FLUSH * FLUSHES;
console.log(
  JSON.stringify(
    {
      bench: 'rollup-deltas',
      machine: machine(),
      samples,
      reps,
      flushUsPerSample: Math.round((median(flushMs) * 1000 * 1000) / samples) / 1000,
      workerUsPerSample: Math.round((median(workerMs) * 1000 * 1000) / samples) / 1000,
      copyBodyDigest: digest,
    },
    null,
    2,
  ),
);
