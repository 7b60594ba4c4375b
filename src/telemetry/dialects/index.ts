/**
 * Dialect registry: pick a dialect by name, or `auto` to route each series by its name prefix
 * (DCGM_ / dcgm_ → dcgm, nvidia_smi_ → nvidia-smi, plenum_ → plenum, the AMD Device Metrics Exporter's field names → amd,
 * the GKE TPU device plugin's TPU-only names → tpu, anything else → prometheus).
 */
import { familyOf, type MetricFamily, parseExposition } from '../exposition';
import type { DropCounts } from '../input-limits';
import { type DialectName, type MapContext, type MapResult, mergeStats, emptyStats, type RawSample } from '../samples';
import { isAmdSeries, mapAmd } from './amd';
import { isDcgmSeries, mapDcgm } from './dcgm';
import { isNvidiaSmiSeries, mapNvidiaSmi } from './nvidia-smi';
import { isPlenumSeries, mapPlenum } from './plenum';
import { mapPrometheus } from './prometheus';
import { isTpuSeries, mapTpu } from './tpu';

export type DialectMapper = (samples: readonly RawSample[], ctx?: MapContext) => MapResult;

export const DIALECTS: Readonly<Record<DialectName, DialectMapper>> = {
  dcgm: mapDcgm,
  'nvidia-smi': mapNvidiaSmi,
  prometheus: mapPrometheus,
  plenum: mapPlenum,
  amd: mapAmd,
  tpu: mapTpu,
};

export function dialectOfSeries(name: string): DialectName {
  if (isDcgmSeries(name)) return 'dcgm';
  if (isNvidiaSmiSeries(name)) return 'nvidia-smi';
  if (isPlenumSeries(name)) return 'plenum';
  if (isAmdSeries(name)) return 'amd';
  if (isTpuSeries(name)) return 'tpu';
  return 'prometheus';
}

/** The dialect most of a document's series belong to (ignoring generic `prometheus` series when others exist). */
export function detectDialect(samples: readonly RawSample[]): DialectName {
  const counts: Record<DialectName, number> = { dcgm: 0, 'nvidia-smi': 0, plenum: 0, prometheus: 0, amd: 0, tpu: 0 };
  for (const s of samples) counts[dialectOfSeries(s.name)]++;
  let best: DialectName = 'prometheus';
  let bestCount = 0;
  for (const d of ['dcgm', 'nvidia-smi', 'plenum', 'amd', 'tpu'] as const) {
    if (counts[d] > bestCount) {
      best = d;
      bestCount = counts[d];
    }
  }
  return best;
}

/** Maps samples with one dialect, or with `auto`: each series by the dialect its name belongs to. Order is kept per dialect. */
export function mapSamples(samples: readonly RawSample[], dialect: DialectName | 'auto', ctx: MapContext = {}): MapResult {
  if (dialect !== 'auto') return DIALECTS[dialect](samples, ctx);
  const groups: Record<DialectName, RawSample[]> = { dcgm: [], 'nvidia-smi': [], plenum: [], prometheus: [], amd: [], tpu: [] };
  for (const s of samples) groups[dialectOfSeries(s.name)].push(s);
  const result: MapResult = { samples: [], stats: emptyStats() };
  for (const d of ['dcgm', 'nvidia-smi', 'plenum', 'amd', 'tpu', 'prometheus'] as const) {
    if (groups[d].length === 0) continue;
    const r = DIALECTS[d](groups[d], ctx);
    for (const s of r.samples) result.samples.push(s);
    mergeStats(result.stats, r.stats);
  }
  return result;
}

/** Parses an exposition document and maps it: the usual one-call path for a scrape. */
export function mapExposition(text: string, dialect: DialectName | 'auto' = 'auto', ctx: MapContext = {}): MapResult & { dropped: DropCounts } {
  const parsed = parseExposition(text);
  return { ...mapSamples(parsed.samples, dialect, withDeclaredUnits(ctx, parsed.families)), dropped: parsed.dropped };
}

/** The context with units declared per metric family (remote-write metadata), when there are any. */
export function withFamilyUnits(ctx: MapContext, units: ReadonlyMap<string, string>): MapContext {
  if (units.size === 0) return ctx;
  const families = new Map<string, MetricFamily>([...units].map(([name, unit]) => [name, { name, unit }]));
  return { ...ctx, declaredUnit: (name) => familyOf(name, families)?.unit };
}

/** The context with the document's `# UNIT` declarations, when it has any. */
export function withDeclaredUnits(ctx: MapContext, families: Map<string, MetricFamily>): MapContext {
  for (const f of families.values()) {
    if (f.unit !== undefined) return { ...ctx, declaredUnit: (name) => familyOf(name, families)?.unit };
  }
  return ctx;
}
