/**
 * Value axes for the charts, computed once per chart: nice, distinct ticks and one unit for the whole axis
 * (W, kW or MW by the axis maximum), labels with just enough decimals to tell the ticks apart, and a width that fits
 * the longest label on one line.
 */
import { formatAxisTime, formatCount, formatDecimal, type ScaleStep } from '@/domain/units';

/** Tick labels are 11 px; a digit of the UI's font is about 0.62 em wide. Plus the tick mark and a gap. */
const CHAR_PX = 7;
const TICK_GAP_PX = 14;
/** A no-break space between number and unit: recharts wraps tick text at ordinary spaces ("800⏎kW"). */
const NBSP = '\u00a0';

export interface ValueAxis {
  /** Tick values in the data's base unit (W, kWh, bytes…), evenly spaced and distinct. */
  ticks: number[];
  domain: [number, number];
  /** The unit every tick is shown in ("kW"), also for the axis caption. */
  unit: string;
  format: (value: number) => string;
  /** Axis width in px that fits the longest label. */
  width: number;
}

/** A step of 1, 2 or 5 × 10^k that splits [min, max] into at most `maxTicks` intervals. */
export function niceStep(span: number, maxTicks: number): number {
  const raw = span / Math.max(1, maxTicks);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const normalised = raw / magnitude;
  const factor = normalised <= 1 ? 1 : normalised <= 2 ? 2 : normalised <= 5 ? 5 : 10;
  return factor * magnitude;
}

/** Evenly spaced ticks from a multiple of the step at or below `min` to one at or above `max`. */
export function niceTicks(min: number, max: number, maxTicks = 5, integer = false): number[] {
  let low = Number.isFinite(min) ? min : 0;
  let high = Number.isFinite(max) ? max : 0;
  if (low > high) [low, high] = [high, low];
  if (high === low) {
    // A flat series still gets an axis around its value.
    high = low === 0 ? 1 : low + Math.abs(low) * 0.1;
    if (low !== 0) low -= Math.abs(low) * 0.1;
  }
  let step = niceStep(high - low, maxTicks);
  if (integer) step = Math.max(1, Math.round(step));
  const first = Math.floor(low / step);
  const last = Math.ceil(high / step);
  const ticks: number[] = [];
  // Round away floating-point noise (0.1 + 0.2) so equal ticks compare equal.
  for (let i = first; i <= last; i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

/** Decimals that tell ticks `step` apart: step 0.2 → 1, step 0.05 → 2, step 5 → 0. */
export function decimalsFor(step: number): number {
  if (!(step > 0)) return 0;
  return Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
}

const label = (value: number, decimals: number): string => (decimals === 0 ? formatCount(value) : formatDecimal(value, decimals));

/**
 * An axis for values in a base unit with a scale of units (POWER_STEPS: W, kW, MW…): the unit is chosen from the
 * largest absolute value, the ticks are nice in that unit. Without steps, `unit` is appended as is ("%", "°C").
 */
export function valueAxis(
  values: ReadonlyArray<number | null | undefined>,
  options: { steps?: ScaleStep[]; unit?: string; min?: number; max?: number; maxTicks?: number; integer?: boolean } = {},
): ValueAxis {
  const finite = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const dataMin = Math.min(options.min ?? Number.POSITIVE_INFINITY, ...finite);
  const dataMax = Math.max(options.max ?? Number.NEGATIVE_INFINITY, ...finite);
  const min = Number.isFinite(dataMin) ? dataMin : 0;
  const max = Number.isFinite(dataMax) ? dataMax : 1;
  let scale: ScaleStep = { factor: 1, unit: options.unit ?? '' };
  if (options.steps) {
    const largest = Math.max(Math.abs(min), Math.abs(max));
    scale = options.steps[0];
    for (const step of options.steps) if (largest >= step.factor) scale = step;
  }
  const scaled = niceTicks(min / scale.factor, max / scale.factor, options.maxTicks ?? 5, options.integer);
  const decimals = scaled.length > 1 ? decimalsFor(scaled[1] - scaled[0]) : 0;
  const suffix = scale.unit ? `${NBSP}${scale.unit}` : '';
  const format = (value: number) => `${label(value / scale.factor, decimals)}${suffix}`;
  const ticks = scaled.map((t) => Number((t * scale.factor).toPrecision(12)));
  const longest = Math.max(...ticks.map((t) => format(t).length));
  return { ticks, domain: [ticks[0], ticks.at(-1)!], unit: scale.unit, format, width: Math.ceil(longest * CHAR_PX + TICK_GAP_PX) };
}

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Time steps a reader can count in: seconds, minutes, hours, days. */
const TIME_STEPS = [SECOND, 5 * SECOND, 15 * SECOND, 30 * SECOND, MINUTE, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY];

export interface TimeAxis {
  ticks: number[];
  /** Label of a tick, as precise as the step needs (seconds only for sub-minute steps), so no two read the same. */
  format: (ms: number) => string;
}

/**
 * Time-axis ticks at whole steps (UTC) across [minMs, maxMs], at most `maxTicks` of them. Recharts' own ticks for a
 * time scale fall at arbitrary instants and, formatted to the minute, repeat ("06:43 06:43 06:44").
 */
export function timeAxis(minMs: number, maxMs: number, maxTicks = 6): TimeAxis {
  if (!Number.isFinite(minMs) || !Number.isFinite(maxMs) || maxMs <= minMs) return { ticks: Number.isFinite(minMs) ? [minMs] : [], format: (ms) => formatAxisTime(ms, MINUTE) };
  const step = TIME_STEPS.find((s) => (maxMs - minMs) / s <= maxTicks) ?? Math.ceil((maxMs - minMs) / maxTicks / DAY) * DAY;
  const ticks: number[] = [];
  for (let t = Math.ceil(minMs / step) * step; t <= maxMs; t += step) ticks.push(t);
  return { ticks, format: (ms) => formatAxisTime(ms, step) };
}
