/**
 * `nvidia-smi --query-gpu=… --format=csv` output: parsing and mapping to canonical samples.
 *
 * Used to compare an exporter against nvidia-smi on the same machine (exporters/nvml/device-check.sh) and to check the
 * dialects against the raw captures in the fixtures. Header cells carry the unit in brackets (`power.draw [W]`), value
 * cells repeat it (`79.56 W`); unsupported fields read `[N/A]`, `N/A`, `[Not Supported]` or another bracketed message.
 * Only fields with a catalogue metric are mapped (the CSV has ~200 columns); the others stay available in `rows`.
 */
import { getMetricDef } from './catalogue';
import {
  type CanonicalSample,
  emptyStats,
  type MapContext,
  type MapResult,
  normaliseGpuUuid,
  scaleValue,
} from './samples';

export interface NvidiaSmiCsv {
  /** Field names without the unit (`power.draw`). */
  fields: string[];
  /** Unit from the header (`W`, `MiB`, `MHz`, `%`, `us`), or undefined. */
  units: (string | undefined)[];
  /** One record per GPU line: field → raw cell text (trimmed). */
  rows: Record<string, string>[];
}

export class NvidiaSmiCsvError extends Error {
  constructor(
    readonly line: number,
    reason: string,
  ) {
    super(`nvidia-smi csv line ${line}: ${reason}`);
    this.name = 'NvidiaSmiCsvError';
  }
}

export function parseNvidiaSmiCsv(text: string): NvidiaSmiCsv {
  const lines = text.split(/\r?\n/);
  let headerLine = -1;
  for (let k = 0; k < lines.length; k++) {
    if (lines[k].trim().length > 0) {
      headerLine = k;
      break;
    }
  }
  if (headerLine < 0) throw new NvidiaSmiCsvError(1, 'empty input (expected a header line)');
  const fields: string[] = [];
  const units: (string | undefined)[] = [];
  for (const cell of lines[headerLine].split(',')) {
    const m = /^\s*(.*?)\s*(?:\[([^\]]*)\])?\s*$/.exec(cell);
    fields.push(m ? m[1] : cell.trim());
    units.push(m?.[2]);
  }
  const rows: Record<string, string>[] = [];
  for (let k = headerLine + 1; k < lines.length; k++) {
    if (lines[k].trim().length === 0) continue;
    const cells = lines[k].split(',');
    if (cells.length !== fields.length) {
      throw new NvidiaSmiCsvError(k + 1, `expected ${fields.length} cells as in the header, found ${cells.length}`);
    }
    const row: Record<string, string> = {};
    for (let c = 0; c < fields.length; c++) row[fields[c]] = cells[c].trim();
    rows.push(row);
  }
  return { fields, units, rows };
}

/**
 * Numeric value of a cell: strips a trailing unit (`79.56 W` → 79.56), reads hex (`0x…01` → 1), pstates (`P8` → 8) and
 * two-state words (Enabled/Active/Yes → 1, Disabled/Not Active/No → 0). Unavailable or unrecognised → undefined.
 */
export function nvidiaSmiCellValue(cell: string | undefined): number | undefined {
  if (cell === undefined) return undefined;
  const s = cell.trim();
  if (s.length === 0 || s.startsWith('[') || s === 'N/A') return undefined;
  if (/^0x[0-9a-f]+$/i.test(s)) return Number.parseInt(s.slice(2), 16);
  const pstate = /^P(\d{1,2})$/.exec(s);
  if (pstate) return Number(pstate[1]);
  const num = /^([-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)(?:\s+(?:W|MiB|MHz|%|us|C))?$/.exec(s);
  if (num) return Number(num[1]);
  switch (s) {
    case 'Enabled':
    case 'Active':
    case 'Yes':
      return 1;
    case 'Disabled':
    case 'Not Active':
    case 'No':
      return 0;
    default:
      return undefined;
  }
}

const MIB = 1024 * 1024;

/** CSV field → [catalogue metric, factor from the CSV unit]. First field present wins for a metric. */
const CSV_FIELDS: ReadonlyArray<readonly [string, string, number]> = [
  ['power.draw', 'gpu_power_w', 1],
  ['power.draw.instant', 'gpu_power_instant_w', 1],
  ['enforced.power.limit', 'gpu_power_limit_w', 1],
  ['power.limit', 'gpu_power_limit_w', 1],
  ['temperature.gpu', 'gpu_temp_c', 1],
  ['temperature.memory', 'gpu_mem_temp_c', 1],
  ['utilization.gpu', 'gpu_util_pct', 1],
  ['utilization.memory', 'gpu_mem_copy_util_pct', 1],
  ['utilization.encoder', 'gpu_enc_util_pct', 1],
  ['utilization.decoder', 'gpu_dec_util_pct', 1],
  ['fan.speed', 'gpu_fan_pct', 1],
  ['memory.used', 'gpu_fb_used_bytes', MIB],
  ['memory.free', 'gpu_fb_free_bytes', MIB],
  ['memory.reserved', 'gpu_fb_reserved_bytes', MIB],
  ['memory.total', 'gpu_fb_total_bytes', MIB],
  ['clocks.current.sm', 'gpu_sm_clock_mhz', 1],
  ['clocks.sm', 'gpu_sm_clock_mhz', 1],
  ['clocks.current.memory', 'gpu_mem_clock_mhz', 1],
  ['clocks.mem', 'gpu_mem_clock_mhz', 1],
  ['clocks.current.graphics', 'gpu_graphics_clock_mhz', 1],
  ['clocks.gr', 'gpu_graphics_clock_mhz', 1],
  ['clocks.current.video', 'gpu_video_clock_mhz', 1],
  ['clocks_event_reasons.active', 'gpu_clock_event_reasons', 1],
  ['pstate', 'gpu_pstate', 1],
];

/** `2026/11/26 04:07:39.511` (nvidia-smi's local time, read here as UTC) → epoch ms. */
export function nvidiaSmiTimestampMs(cell: string | undefined): number | undefined {
  if (!cell) return undefined;
  const m = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/.exec(cell.trim());
  if (!m) return undefined;
  const ms = m[7] ? Number(m[7].padEnd(3, '0')) : 0;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], ms);
}

export function mapNvidiaSmiCsv(csv: NvidiaSmiCsv, ctx: MapContext = {}): MapResult {
  const stats = emptyStats();
  const samples: CanonicalSample[] = [];
  for (const row of csv.rows) {
    const gpuUuid = normaliseGpuUuid(row.uuid);
    const index = row.index !== undefined && /^\d+$/.test(row.index) ? Number(row.index) : undefined;
    const timestampMs = nvidiaSmiTimestampMs(row.timestamp) ?? ctx.defaultTimestampMs;
    const seen = new Set<string>();
    for (const [field, metric, factor] of CSV_FIELDS) {
      if (seen.has(metric) || !(field in row)) continue;
      const v = nvidiaSmiCellValue(row[field]);
      if (v === undefined) continue;
      seen.add(metric);
      stats.total++;
      stats.mapped++;
      const d = getMetricDef(metric)!;
      const s: CanonicalSample = {
        metric,
        known: true,
        unit: d.unit,
        value: scaleValue(v, factor),
        timestampMs,
        labels: { field },
      };
      if (gpuUuid) s.gpuUuid = gpuUuid;
      if (index !== undefined) s.gpuIndex = index;
      if (ctx.hostname) s.hostname = ctx.hostname;
      samples.push(s);
    }
  }
  return { samples, stats };
}
