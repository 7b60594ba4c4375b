import v8 from 'node:v8';

/** The old generation may grow to (1 + this / 100) × its live size before the next full collection. */
export const DEFAULT_HEAP_GROWTH_PERCENT = 100;

/**
 * Sets how far V8's old generation may grow past its live size before the next full (mark-compact) collection
 * (`PLENUM_HEAP_GROWTH_PERCENT`; 0 leaves V8's own heuristic). Why: V8 picks the growth from how fast the process
 * allocates against how fast it marks, and a Plenum server allocates slowly while holding a large heap (the ingest's
 * series and line caches: ~350 MB at 8,448 GPUs). It chose ~1.1-1.15 ×, so every ~25 s of scraping the whole heap was
 * marked again, and marking was a quarter of the ingest's CPU (docs/BENCHMARKS.md, "The old generation may double").
 * 100 % is the policy Go's collector runs by default (GOGC=100, as Prometheus does): the heap may reach about twice
 * its live size, and full collections come about ten times less often. Call once, early in the process.
 */
export function applyHeapGrowth(percent: number): void {
  if (percent > 0) v8.setFlagsFromString(`--heap-growing-percent=${Math.round(percent)}`);
}
