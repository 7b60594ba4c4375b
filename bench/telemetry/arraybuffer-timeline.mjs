/**
 * Diagnostic preload for the live benchmark: where ArrayBuffers are allocated, second by second. V8 counts their bytes
 * as external memory and starts a full collection of the whole heap once those have grown 64 MB since the last one,
 * so a burst of them costs a collection of everything the process holds (docs/BENCHMARKS.md, "ArrayBuffers and full
 * collections"). Sampled every 64 kB allocated, by the call site of typed-array and ArrayBuffer constructors and of
 * Buffer's factories (socket reads, made natively, are not seen); `process.memoryUsage().arrayBuffers` every 100 ms.
 * Prints the seconds with the most bytes and the highest peaks in use.
 *
 *   AB_START_MS=100000 AB_END_MS=250000 node --import ./bench/telemetry/arraybuffer-timeline.mjs --import tsx \
 *     bench/telemetry/versus-prometheus.ts --seed large --interval 30000 --seconds 150 --cpu-only
 *
 * The window (ms after the process started) should fall in the bench's measured window. Diagnostics only: the wrapped
 * constructors cost CPU.
 */
Error.stackTraceLimit = 20;
const t0 = Date.now();
const START = Number(process.env.AB_START_MS ?? 100000), END = Number(process.env.AB_END_MS ?? 250000);
const SAMPLE = 65536;
let countdown = SAMPLE;
const perSec = new Map(); // sec -> Map(site -> bytes)
function siteOf() {
  return new Error().stack.split('\n').slice(3, 16).map((l) => l.trim().replace(/^at /, '').replace(`(${process.cwd()}/`, '').replace(`${process.cwd()}/`, '').replace(/\)$/, '')).filter((l) => !l.includes('arraybuffer-timeline')).slice(0, 6).join(' < ');
}
function track(bytes) {
  const t = Date.now() - t0;
  if (bytes <= 64 || t < START || t > END) return;
  countdown -= bytes;
  if (countdown > 0) return;
  const w = SAMPLE - countdown; countdown = SAMPLE;
  const sec = Math.floor(t / 1000);
  let m = perSec.get(sec);
  if (!m) {
    m = new Map();
    perSec.set(sec, m);
  }
  const s = siteOf(); m.set(s, (m.get(s) ?? 0) + w);
}
for (const name of ['Int32Array','Uint32Array','Float64Array','Uint8Array','ArrayBuffer']) {
  const C = globalThis[name];
  globalThis[name] = new Proxy(C, { construct(target, args, newTarget) { const o = Reflect.construct(target, args, newTarget === globalThis[name] ? target : newTarget); if (o.buffer === undefined || (o.byteOffset === 0 && o.buffer.byteLength === o.byteLength)) track(o.byteLength); return o; } });
}
for (const fn of ['allocUnsafe','alloc','allocUnsafeSlow','concat']) {
  const orig = Buffer[fn];
  Buffer[fn] = function (...args) { const b = orig.apply(this, args); if (b.byteLength > 4096 && b.byteOffset === 0 && b.buffer.byteLength === b.byteLength) track(b.byteLength); return b; };
}
const inUse = [];
setInterval(() => { const t = Date.now() - t0; if (t >= START && t <= END) inUse.push([t, process.memoryUsage().arrayBuffers]); }, 100).unref();
setTimeout(() => {
  const secs = [...perSec.entries()].map(([s, m]) => [s, [...m.values()].reduce((a, b) => a + b, 0), m]).sort((a, b) => b[1] - a[1]);
  console.error(`[arraybuffer-timeline] seconds with most ArrayBuffer bytes allocated:`);
  for (const [s, total, m] of secs.slice(0, 8)) {
    console.error(`[arraybuffer-timeline] t=${s}s ${(total / 1e6).toFixed(1)} MB`);
    for (const [site, b] of [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, 4)) console.error(`[arraybuffer-timeline]    ${(b / 1e6).toFixed(1)} MB ${site}`);
  }
  const peaks = inUse.filter((x, i) => i > 0 && i < inUse.length - 1 && x[1] > inUse[i - 1][1] && x[1] >= inUse[i + 1][1]).sort((a, b) => b[1] - a[1]).slice(0, 10);
  console.error(`[arraybuffer-timeline] arrayBuffers in use, highest peaks: ${peaks.map(([t, b]) => `${(t / 1000).toFixed(1)}s ${(b / 1e6).toFixed(1)}MB`).join(', ')}`);
}, END + 200).unref();
