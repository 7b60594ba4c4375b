import v8 from 'node:v8';

/** The old generation may grow to (1 + this / 100) × its live size before the next full collection. */
export const DEFAULT_HEAP_GROWTH_PERCENT = 100;

/**
 * Sets how far V8's old generation may grow past its live size before the next full (mark-compact) collection
 * (`PLENUM_HEAP_GROWTH_PERCENT`; 0 leaves V8's own heuristic). Why: V8 picks the growth from how fast the process
 * allocates against how fast it marks, and a Plenum server allocates slowly while holding a large heap (with the
 * ingest's series keys and cached lines, ~350 MB live at 8,448 GPUs). It allowed ~1.14 ×, so the whole heap was
 * marked again every ~20 s of scraping, and V8's helper threads took over a quarter of Node's CPU (docs/BENCHMARKS.md,
 * "The old generation may double"). 100 % is the policy of Go's collector by default (GOGC=100, as Prometheus runs):
 * the heap may reach about twice its live size. V8 reads the setting each time it sets the next limit, so it holds
 * from the next collection on; call it once, early in the process.
 */
export function applyHeapGrowth(percent: number): void {
  if (percent > 0) v8.setFlagsFromString(`--heap-growing-percent=${Math.round(percent)}`);
}
