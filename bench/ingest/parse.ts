/**
 * Exposition parser throughput: a synthetic dcgm-exporter scrape (5,000 GPUs × 10 fields = 50k samples, 7 labels
 * each), parsed `--reps` times after a warm-up; prints the median and best rate. The parser is pure, so this measures
 * only it (no mapping, no database).
 *
 *   npm run bench:parse -- [--gpus 5000] [--reps 15]
 */
import { parseExposition } from '../../src/telemetry/exposition';
import { syntheticDcgmDocument } from '../../src/telemetry/synthetic-dcgm.testkit';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const gpus = arg('gpus', 5_000);
const reps = arg('reps', 15);

const { text, samples } = syntheticDcgmDocument(gpus);
parseExposition(text);
const ms: number[] = [];
for (let k = 0; k < reps; k++) {
  const t0 = performance.now();
  const parsed = parseExposition(text);
  ms.push(performance.now() - t0);
  if (parsed.samples.length !== samples) throw new Error(`parsed ${parsed.samples.length} of ${samples} samples`);
}
ms.sort((a, b) => a - b);
const median = ms[Math.floor(ms.length / 2)]!;
const rate = (t: number) => Math.round(samples / (t / 1000)).toLocaleString('en');
console.log(`exposition parse, ${samples.toLocaleString('en')} samples × ${reps}: median ${median.toFixed(1)} ms (${rate(median)} samples/s), best ${ms[0]!.toFixed(1)} ms (${rate(ms[0]!)} samples/s)`);
