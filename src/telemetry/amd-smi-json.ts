/**
 * `amd-smi metric --json` → the AMD dialect. The document is turned into samples named as the AMD Device Metrics
 * Exporter names the same readings (both read amdsmi), so that one table (dialects/amd.ts) maps both.
 *
 * Accepted shapes (amd-smi releases differ): a JSON array of per-GPU objects, or `{ "gpu_data": [...] }`; a banner
 * before the JSON (amd-smi prints "WARNING: …" lines when not in the render group) is skipped. A reading is a number,
 * `{ "value": n, "unit": "W" }`, a string such as "142 W", or "N/A" (skipped). Key names that moved between releases
 * are all read: power.socket_power / current_socket_power / current_power / average_socket_power,
 * ecc.total_correctable_count / total_correctable.
 */
import { AMD_ECC_BLOCKS, mapAmd } from './dialects/amd';
import type { MapContext, MapResult, RawSample } from './samples';

export class AmdSmiJsonError extends Error {
  constructor(message: string) {
    super(`amd-smi metric --json: ${message}`);
    this.name = 'AmdSmiJsonError';
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** Unit of the exporter's field → factor from each unit amd-smi may print. */
const UNIT_FACTORS: Record<string, Record<string, number>> = {
  W: { W: 1, mW: 0.001 },
  C: { C: 1, '°C': 1 },
  pct: { '%': 1 },
  MB: { MB: 1, MiB: 1, GB: 1024, GiB: 1024, KB: 1 / 1024, B: 1 / (1024 * 1024) },
  uJ: { uJ: 1, µJ: 1, mJ: 1000, J: 1e6 },
  count: {},
};

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A reading in the exporter's unit, or undefined when amd-smi has none ("N/A", null, missing). */
function reading(raw: Json | undefined, unit: keyof typeof UNIT_FACTORS, where: string): number | undefined {
  let value: Json | undefined = raw;
  let given: string | undefined;
  if (isObject(raw)) {
    value = raw.value;
    given = typeof raw.unit === 'string' ? raw.unit : undefined;
  }
  if (typeof value === 'string') {
    const m = /^\s*(-?[\d.]+(?:e[+-]?\d+)?)\s*(\S*)\s*$/i.exec(value);
    if (!m) return undefined; // "N/A" and the like
    value = Number(m[1]);
    given = m[2] || given;
  }
  if (value === null || value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new AmdSmiJsonError(`${where} is ${JSON.stringify(value)}, not a number`);
  }
  if (given === undefined || given === '' || unit === 'count') return value;
  const factor = UNIT_FACTORS[unit][given];
  if (factor === undefined) {
    throw new AmdSmiJsonError(`${where} is in "${given}", expected one of ${Object.keys(UNIT_FACTORS[unit]).join(', ')}`);
  }
  return value * factor;
}

function gpuList(doc: Json): Json[] {
  if (Array.isArray(doc)) return doc;
  if (isObject(doc) && Array.isArray(doc.gpu_data)) return doc.gpu_data;
  throw new AmdSmiJsonError('expected a JSON array of GPUs or an object with "gpu_data"');
}

/** Parses the document into exporter-named samples (labels gpu_id and, from ctx, hostname). */
export function amdSmiMetricSamples(text: string, ctx: MapContext = {}): RawSample[] {
  const start = text.search(/[[{]/);
  if (start < 0) throw new AmdSmiJsonError('no JSON in the output');
  let doc: Json;
  try {
    doc = JSON.parse(text.slice(start)) as Json;
  } catch (error) {
    throw new AmdSmiJsonError(`not valid JSON (${(error as Error).message})`);
  }
  const out: RawSample[] = [];
  gpuList(doc).forEach((entry, i) => {
    if (!isObject(entry) || typeof entry.gpu !== 'number' || !Number.isInteger(entry.gpu) || entry.gpu < 0) {
      throw new AmdSmiJsonError(`GPU entry ${i} has no integer "gpu" index`);
    }
    const gpu = entry.gpu;
    const labels: Record<string, string> = { gpu_id: String(gpu) };
    if (ctx.hostname) labels.hostname = ctx.hostname;
    const push = (name: string, value: number | undefined, extra?: Record<string, string>) => {
      if (value === undefined) return;
      out.push({ name, labels: extra ? { ...labels, ...extra } : labels, value, timestampMs: ctx.defaultTimestampMs });
    };
    const section = (key: string): JsonObject => (isObject(entry[key]) ? (entry[key] as JsonObject) : {});
    const at = (key: string, field: string) => `gpu ${gpu} ${key}.${field}`;

    const usage = section('usage');
    push('gpu_gfx_activity', reading(usage.gfx_activity, 'pct', at('usage', 'gfx_activity')));
    push('gpu_umc_activity', reading(usage.umc_activity, 'pct', at('usage', 'umc_activity')));

    const power = section('power');
    const powerKey = ['socket_power', 'current_socket_power', 'current_power', 'average_socket_power'].find(
      (k) => reading(power[k], 'W', at('power', k)) !== undefined,
    );
    if (powerKey) push('gpu_power_usage', reading(power[powerKey], 'W', at('power', powerKey)));

    const temperature = section('temperature');
    push('gpu_edge_temperature', reading(temperature.edge, 'C', at('temperature', 'edge')));
    push('gpu_junction_temperature', reading(temperature.hotspot, 'C', at('temperature', 'hotspot')));
    push('gpu_memory_temperature', reading(temperature.mem, 'C', at('temperature', 'mem')));

    const mem = section('mem_usage');
    push('gpu_total_vram', reading(mem.total_vram, 'MB', at('mem_usage', 'total_vram')));
    push('gpu_used_vram', reading(mem.used_vram, 'MB', at('mem_usage', 'used_vram')));
    push('gpu_free_vram', reading(mem.free_vram, 'MB', at('mem_usage', 'free_vram')));

    const ecc = section('ecc');
    const eccTotal = (kind: 'correctable' | 'uncorrectable') =>
      reading(ecc[`total_${kind}_count`] ?? ecc[`total_${kind}`], 'count', at('ecc', `total_${kind}_count`));
    push('gpu_ecc_correct_total', eccTotal('correctable'));
    push('gpu_ecc_uncorrect_total', eccTotal('uncorrectable'));
    for (const [blockName, counts] of Object.entries(section('ecc_blocks'))) {
      // amd-smi names blocks in upper case (UMC, SDMA, GFX, MMHUB, PCIE_BIF, XGMI_WAFL, …).
      const block = blockName.toLowerCase().replace(/^pcie_/, '');
      if (!isObject(counts) || !(AMD_ECC_BLOCKS as readonly string[]).includes(block)) continue;
      push(`gpu_ecc_correct_${block}`, reading(counts.correctable_count, 'count', at('ecc_blocks', `${blockName}.correctable_count`)));
      push(`gpu_ecc_uncorrect_${block}`, reading(counts.uncorrectable_count, 'count', at('ecc_blocks', `${blockName}.uncorrectable_count`)));
    }

    const energy = section('energy');
    push('gpu_energy_consumed', reading(energy.total_energy_consumption, 'uJ', at('energy', 'total_energy_consumption')));

    push('pcie_replay_count', reading(section('pcie').replay_count, 'count', at('pcie', 'replay_count')));

    // XGMI error status: an enum name, e.g. XGMI_STATUS_NO_ERRORS / XGMI_STATUS_ERROR / XGMI_STATUS_MULTIPLE_ERRORS.
    const xgmi = entry.xgmi_err;
    if (typeof xgmi === 'string' && xgmi.startsWith('XGMI_STATUS_')) push('gpu_xgmi_error', xgmi === 'XGMI_STATUS_NO_ERRORS' ? 0 : 1);
  });
  return out;
}

/** Parses `amd-smi metric --json` output and maps it into the catalogue. Throws AmdSmiJsonError on bad input. */
export function mapAmdSmiMetricJson(text: string, ctx: MapContext = {}): MapResult {
  return mapAmd(amdSmiMetricSamples(text, ctx), ctx);
}
