/**
 * Units: conversions and display formatting.
 *
 * Values are stored and computed in base units whose name carries the unit (`powerW`, `weightKg`, `tempC`,
 * `memoryBytes`, `speedGbps`). Convert once where data enters; format once where it leaves (the UI, the CLI).
 * Every formatter returns a string with its unit, and "—" for a value that is missing or not a finite number.
 */

export const MISSING = '—';

// ---------------------------------------------------------------------------------------------------------------
// Power and energy
// ---------------------------------------------------------------------------------------------------------------

export const W_PER_KW = 1_000;
export const W_PER_MW = 1_000_000;
/** 1 W = 3.412142 BTU/h (international table BTU). */
export const BTU_PER_HOUR_PER_W = 3.412142;
/** 1 ton of refrigeration = 3.516853 kW (12,000 BTU/h). */
export const KW_PER_TON_REFRIGERATION = 3.516853;
export const SQRT3 = Math.sqrt(3);

export const kwToW = (kw: number): number => kw * W_PER_KW;
export const wToKw = (w: number): number => w / W_PER_KW;
export const mwToW = (mw: number): number => mw * W_PER_MW;
export const wToMw = (w: number): number => w / W_PER_MW;
export const wToBtuPerHour = (w: number): number => w * BTU_PER_HOUR_PER_W;
export const btuPerHourToW = (btuPerHour: number): number => btuPerHour / BTU_PER_HOUR_PER_W;
export const kwToTonsRefrigeration = (kw: number): number => kw / KW_PER_TON_REFRIGERATION;
export const tonsRefrigerationToKw = (tons: number): number => tons * KW_PER_TON_REFRIGERATION;
/** Energy: 1 kWh = 3.6 MJ. */
export const kwhToMj = (kwh: number): number => kwh * 3.6;
export const mjToKwh = (mj: number): number => mj / 3.6;
export const joulesToKwh = (joules: number): number => joules / 3.6e6;

export type Phase = 'single' | 'three';

/**
 * Apparent power of a circuit in W (power factor 1): V × A, × √3 for three-phase, where `voltageV` is the
 * line-to-line voltage for a three-phase circuit (NetBox PowerFeed convention).
 */
export function circuitPowerW(voltageV: number, amperageA: number, phase: Phase): number {
  return voltageV * amperageA * (phase === 'three' ? SQRT3 : 1);
}

// ---------------------------------------------------------------------------------------------------------------
// Weight
// ---------------------------------------------------------------------------------------------------------------

export type WeightUnit = 'kg' | 'g' | 'lb' | 'oz';
export const KG_PER_LB = 0.45359237;
export const KG_PER_OZ = KG_PER_LB / 16;

export function weightToKg(value: number, unit: WeightUnit): number {
  switch (unit) {
    case 'kg':
      return value;
    case 'g':
      return value / 1000;
    case 'lb':
      return value * KG_PER_LB;
    case 'oz':
      return value * KG_PER_OZ;
  }
}

export function kgToWeight(weightKg: number, unit: WeightUnit): number {
  return weightKg / weightToKg(1, unit);
}

export const kgToLb = (weightKg: number): number => weightKg / KG_PER_LB;
export const lbToKg = (weightLb: number): number => weightLb * KG_PER_LB;

// ---------------------------------------------------------------------------------------------------------------
// Temperature
// ---------------------------------------------------------------------------------------------------------------

export const cToF = (tempC: number): number => (tempC * 9) / 5 + 32;
export const fToC = (tempF: number): number => ((tempF - 32) * 5) / 9;

// ---------------------------------------------------------------------------------------------------------------
// Memory and network
// ---------------------------------------------------------------------------------------------------------------

export const BYTES_PER_KIB = 1024;
export const BYTES_PER_MIB = 1024 ** 2;
export const BYTES_PER_GIB = 1024 ** 3;
export const BYTES_PER_TIB = 1024 ** 4;

export const bytesToGib = (bytes: number): number => bytes / BYTES_PER_GIB;
export const gibToBytes = (gib: number): number => gib * BYTES_PER_GIB;
export const mibToGib = (mib: number): number => mib / 1024;
export const gibToMib = (gib: number): number => gib * 1024;
/** Decimal gigabytes (as in marketing "80 GB") to GiB. */
export const gbToGib = (gb: number): number => (gb * 1e9) / BYTES_PER_GIB;

/** Network line rates: decimal (1 Gb/s = 1e9 bit/s). */
export const gbpsToBitsPerSecond = (gbps: number): number => gbps * 1e9;
export const bitsPerSecondToGbps = (bitsPerSecond: number): number => bitsPerSecond / 1e9;
/** Gb/s to GB/s (bytes). */
export const gbpsToGBps = (gbps: number): number => gbps / 8;

// ---------------------------------------------------------------------------------------------------------------
// Ratios
// ---------------------------------------------------------------------------------------------------------------

/** part / whole × 100, or null when the whole is 0 or either value is not finite. */
export function percentOf(part: number, whole: number): number | null {
  if (!Number.isFinite(part) || !Number.isFinite(whole) || whole === 0) return null;
  return (part / whole) * 100;
}

// ---------------------------------------------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------------------------------------------

const isNumber = (value: number | null | undefined): value is number =>
  typeof value === 'number' && Number.isFinite(value);

/**
 * A number to `significant` significant digits, without exponent notation and without trailing zeros:
 * 1.234 → "1.23", 12.34 → "12.3", 123.4 → "123", 1234 → "1234", 1.5 → "1.5", 2.0001 → "2".
 * Integers with more digits than `significant` are rounded to whole numbers, not to powers of ten.
 */
export function formatNumber(value: number, significant = 3): string {
  if (!Number.isFinite(value)) return MISSING;
  if (value === 0) return '0';
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  const decimals = Math.max(0, significant - 1 - magnitude);
  let text = value.toFixed(decimals);
  // toFixed can round up into the next magnitude (9.996 → "10.00"): drop the surplus decimal.
  if (decimals > 0 && Math.abs(Number(text)) >= 10 ** (magnitude + 1)) text = value.toFixed(decimals - 1);
  if (text.includes('.')) text = text.replace(/\.?0+$/, '');
  if (text.startsWith('-') && Number(text) === 0) text = text.slice(1);
  return text;
}

export interface ScaleStep {
  factor: number;
  unit: string;
}

function formatScaled(value: number | null | undefined, steps: ScaleStep[], significant: number): string {
  if (!isNumber(value)) return MISSING;
  const abs = Math.abs(value);
  let chosen = steps[0];
  for (const step of steps) {
    if (abs >= step.factor) chosen = step;
  }
  let scaled = value / chosen.factor;
  // Rounding can carry a value up to the next step (999.6 W → "1000 W"): move it up a step.
  const next = steps[steps.indexOf(chosen) + 1];
  if (next && Math.abs(Number(formatNumber(scaled, significant))) >= next.factor / chosen.factor) {
    chosen = next;
    scaled = value / chosen.factor;
  }
  return `${formatNumber(scaled, significant)} ${chosen.unit}`;
}

export const POWER_STEPS: ScaleStep[] = [
  { factor: 1, unit: 'W' },
  { factor: 1e3, unit: 'kW' },
  { factor: 1e6, unit: 'MW' },
  { factor: 1e9, unit: 'GW' },
];

/** formatPowerW(850) → "850 W", formatPowerW(1234) → "1.23 kW", formatPowerW(1.6e6) → "1.6 MW". */
export function formatPowerW(powerW: number | null | undefined, significant = 3): string {
  return formatScaled(powerW, POWER_STEPS, significant);
}

export function formatPowerKw(powerKw: number | null | undefined, significant = 3): string {
  return formatPowerW(isNumber(powerKw) ? kwToW(powerKw) : powerKw, significant);
}

export const ENERGY_STEPS: ScaleStep[] = [
  { factor: 1, unit: 'kWh' },
  { factor: 1e3, unit: 'MWh' },
  { factor: 1e6, unit: 'GWh' },
];

export function formatEnergyKwh(energyKwh: number | null | undefined, significant = 3): string {
  return formatScaled(energyKwh, ENERGY_STEPS, significant);
}

/** formatWeightKg(114.05) → "114 kg"; below 1 kg in grams: formatWeightKg(0.45) → "450 g". */
export function formatWeightKg(weightKg: number | null | undefined, significant = 3): string {
  if (!isNumber(weightKg)) return MISSING;
  if (weightKg !== 0 && Math.abs(weightKg) < 1) return `${formatNumber(weightKg * 1000, significant)} g`;
  if (Math.abs(weightKg) >= 1000) return `${formatNumber(weightKg / 1000, significant)} t`;
  return `${formatNumber(weightKg, significant)} kg`;
}

/** Weight in pounds, for users who asked for imperial display: formatWeightLb(10) → "22 lb". */
export function formatWeightLb(weightKg: number | null | undefined, significant = 3): string {
  if (!isNumber(weightKg)) return MISSING;
  return `${formatNumber(kgToLb(weightKg), significant)} lb`;
}

/** formatTempC(41.26) → "41.3 °C" (one decimal). */
export function formatTempC(tempC: number | null | undefined, decimals = 1): string {
  if (!isNumber(tempC)) return MISSING;
  return `${tempC.toFixed(decimals)} °C`;
}

/** Percent from a value already in percent: formatPct(62.5) → "62.5 %". */
export function formatPct(pct: number | null | undefined, decimals = 1): string {
  if (!isNumber(pct)) return MISSING;
  return `${pct.toFixed(decimals)} %`;
}

/** Percent from a ratio 0-1: formatRatioAsPct(0.625) → "62.5 %". */
export function formatRatioAsPct(ratio: number | null | undefined, decimals = 1): string {
  return formatPct(isNumber(ratio) ? ratio * 100 : ratio, decimals);
}

export const BYTE_STEPS: ScaleStep[] = [
  { factor: 1, unit: 'B' },
  { factor: BYTES_PER_KIB, unit: 'KiB' },
  { factor: BYTES_PER_MIB, unit: 'MiB' },
  { factor: BYTES_PER_GIB, unit: 'GiB' },
  { factor: BYTES_PER_TIB, unit: 'TiB' },
  { factor: 1024 ** 5, unit: 'PiB' },
];

/** Binary units: formatBytes(81559 * 2**20) → "79.6 GiB". */
export function formatBytes(bytes: number | null | undefined, significant = 3): string {
  return formatScaled(bytes, BYTE_STEPS, significant);
}

export function formatGib(gib: number | null | undefined, significant = 3): string {
  return formatBytes(isNumber(gib) ? gibToBytes(gib) : gib, significant);
}

const LINK_STEPS: ScaleStep[] = [
  { factor: 1e-3, unit: 'Mb/s' },
  { factor: 1, unit: 'Gb/s' },
  { factor: 1e3, unit: 'Tb/s' },
];

/** formatGbps(400) → "400 Gb/s", formatGbps(0.1) → "100 Mb/s", formatGbps(1600) → "1.6 Tb/s". */
export function formatGbps(speedGbps: number | null | undefined, significant = 3): string {
  return formatScaled(speedGbps, LINK_STEPS, significant);
}

/** formatHeightU(2) → "2U", formatHeightU(0.5) → "0.5U". */
export function formatHeightU(heightU: number | null | undefined): string {
  if (!isNumber(heightU)) return MISSING;
  return `${formatNumber(heightU, 4)}U`;
}

/** Heat from power: formatHeatBtuPerHour(1000) → "3412 BTU/h". */
export function formatHeatBtuPerHour(powerW: number | null | undefined): string {
  if (!isNumber(powerW)) return MISSING;
  return `${Math.round(wToBtuPerHour(powerW))} BTU/h`;
}

/** A whole count with thousands separators: formatCount(10240) → "10,240". Fractions are rounded. */
export function formatCount(count: number | null | undefined): string {
  if (!isNumber(count)) return MISSING;
  return Math.round(count)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A plain number with fixed decimals, for unitless ratios: formatDecimal(1.2345, 2) → "1.23" (PUE, oversubscription). */
export function formatDecimal(value: number | null | undefined, decimals: number): string {
  if (!isNumber(value)) return MISSING;
  const text = value.toFixed(decimals);
  return Number(text) === 0 ? (0).toFixed(decimals) : text;
}

/** Any unit from the metric catalogue (UNIT_LABEL in the charts): "41.3 °C", "1.23 kW", "79.6 GiB", "62.5 %". */
export function formatMetric(value: number | null | undefined, unit: string): string {
  switch (unit) {
    case 'W':
      return formatPowerW(value);
    case 'C':
      return formatTempC(value);
    case 'pct':
      return formatPct(value);
    case 'ratio':
      return formatRatioAsPct(value);
    case 'bytes':
      return formatBytes(value);
    case 'kWh':
      return formatEnergyKwh(value);
    default:
      return isNumber(value) ? `${formatNumber(value)} ${unit}` : MISSING;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Dates and times: one style everywhere, in UTC, with the zone named (a server's log, an alert and a chart agree)
// ---------------------------------------------------------------------------------------------------------------

type Instant = string | number | Date | null | undefined;

function toDate(value: Instant): Date | null {
  if (value === null || value === undefined || value === '') return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/**
 * formatDateTime('2026-12-05T05:56:29.123Z') → "2026-12-05 05:56:29 UTC" ("…05:56:29.123 UTC" with milliseconds);
 * "—" when missing or invalid.
 */
export function formatDateTime(value: Instant, options: { milliseconds?: boolean } = {}): string {
  const date = toDate(value);
  return date ? `${date.toISOString().replace('T', ' ').slice(0, options.milliseconds ? 23 : 19)} UTC` : MISSING;
}

/** The time of day: formatTime(…05:56:29Z) → "05:56:29 UTC". */
export function formatTime(value: Instant): string {
  const date = toDate(value);
  return date ? `${date.toISOString().slice(11, 19)} UTC` : MISSING;
}

/** The day: formatDate(…) → "2026-12-05". */
export function formatDate(value: Instant): string {
  const date = toDate(value);
  return date ? date.toISOString().slice(0, 10) : MISSING;
}

/**
 * A time-axis tick, short because the chart names the zone once ("times in UTC"), as precise as the tick step needs:
 * "05:56:30" for steps under a minute, "05:56" up to a day, "12-05" (month-day) for steps of a day or more.
 */
export function formatAxisTime(value: Instant, stepMs: number): string {
  const date = toDate(value);
  if (!date) return MISSING;
  const iso = date.toISOString();
  if (stepMs >= 86_400_000) return iso.slice(5, 10);
  return stepMs < 60_000 ? iso.slice(11, 19) : iso.slice(11, 16);
}

/** The value of a datetime-local input, in UTC like every date shown: toDateTimeInput(ms) → "2026-12-05T05:56". */
export function toDateTimeInput(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16);
}

/** A datetime-local input's value read as UTC, in ms; NaN when it is not a date. */
export function fromDateTimeInput(text: string): number {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(text) ? Date.parse(`${text}Z`) : Number.NaN;
}
