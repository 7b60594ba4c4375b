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
const START = Number(process.env.AB_START_MS ?? 100000);
const END = Number(process.env.AB_END_MS ?? 250000);
const SAMPLE = 65536;
const TAG = '[arraybuffer-timeline]';
let countdown = SAMPLE;
/** Inside a wrapped factory: what it allocates through another wrapped one (Buffer.concat → allocUnsafe) is its own. */
let depth = 0;
const perSecond = new Map(); // second → Map(site → bytes)

function siteOf() {
  const cwd = `${process.cwd()}/`;
  return new Error().stack
    .split('\n')
    .slice(3, 16)
    .map((l) => l.trim().replace(/^at /, '').replace(`(${cwd}`, '').replace(cwd, '').replace(/\)$/, ''))
    .filter((l) => !l.includes('arraybuffer-timeline'))
    .slice(0, 6)
    .join(' < ');
}

/** Counts an allocation of `bytes` that owns its ArrayBuffer (not a view of a pool or of another buffer). */
function track(bytes) {
  const t = Date.now() - t0;
  if (depth > 0 || bytes <= 64 || t < START || t > END) return;
  countdown -= bytes;
  if (countdown > 0) return;
  const weight = SAMPLE - countdown;
  countdown = SAMPLE;
  const second = Math.floor(t / 1000);
  let sites = perSecond.get(second);
  if (!sites) {
    sites = new Map();
    perSecond.set(second, sites);
  }
  const site = siteOf();
  sites.set(site, (sites.get(site) ?? 0) + weight);
}

const ownsBuffer = (view) => view.byteOffset === 0 && view.buffer.byteLength === view.byteLength;

for (const name of ['Int32Array', 'Uint32Array', 'Float64Array', 'Uint8Array', 'ArrayBuffer']) {
  const original = globalThis[name];
  globalThis[name] = new Proxy(original, {
    construct(target, args, newTarget) {
      const made = Reflect.construct(target, args, newTarget === globalThis[name] ? target : newTarget);
      if (made.buffer === undefined || ownsBuffer(made)) track(made.byteLength);
      return made;
    },
  });
}
for (const factory of ['allocUnsafe', 'alloc', 'allocUnsafeSlow', 'concat']) {
  const original = Buffer[factory];
  Buffer[factory] = function (...args) {
    depth++;
    let made;
    try {
      made = original.apply(this, args);
    } finally {
      depth--;
    }
    if (made.byteLength > 4096 && ownsBuffer(made)) track(made.byteLength); // smaller ones come from the shared pool
    return made;
  };
}

const inUse = [];
setInterval(() => {
  const t = Date.now() - t0;
  if (t >= START && t <= END) inUse.push([t, process.memoryUsage().arrayBuffers]);
}, 100).unref();

setTimeout(() => {
  const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;
  const seconds = [...perSecond.entries()].map(([second, sites]) => ({ second, sites, total: [...sites.values()].reduce((a, b) => a + b, 0) }));
  seconds.sort((a, b) => b.total - a.total);
  const all = seconds.reduce((a, s) => a + s.total, 0);
  console.error(`${TAG} ${mb(all)} in ${(END - START) / 1000} s; the seconds with the most ArrayBuffer bytes allocated:`);
  for (const { second, sites, total } of seconds.slice(0, 8)) {
    console.error(`${TAG} t=${second}s ${mb(total)}`);
    for (const [site, bytes] of [...sites.entries()].sort((a, b) => b[1] - a[1]).slice(0, 4)) console.error(`${TAG}    ${mb(bytes)} ${site}`);
  }
  const peaks = inUse.filter(([, b], i) => i > 0 && i < inUse.length - 1 && b > inUse[i - 1][1] && b >= inUse[i + 1][1]);
  peaks.sort((a, b) => b[1] - a[1]);
  console.error(`${TAG} arrayBuffers in use, highest peaks: ${peaks.slice(0, 10).map(([t, b]) => `${(t / 1000).toFixed(1)}s ${mb(b)}`).join(', ')}`);
}, END + 200).unref();
