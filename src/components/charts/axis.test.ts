import { describe, expect, it } from 'vitest';
import { BYTE_STEPS, ENERGY_STEPS, POWER_STEPS } from '@/domain/units';
import { decimalsFor, niceStep, niceTicks, timeAxis, valueAxis } from './axis';

const NBSP = '\u00a0';
const labels = (axis: ReturnType<typeof valueAxis>) => axis.ticks.map(axis.format);

describe('niceTicks', () => {
  it('uses steps of 1, 2 or 5 × 10^k that cover the data', () => {
    expect(niceStep(10, 5)).toBe(2);
    expect(niceStep(1_400, 5)).toBe(500);
    expect(niceStep(0.3, 5)).toBe(0.1);
    expect(niceTicks(0, 10)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(3, 97)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(1.08, 1.43)).toEqual([1, 1.1, 1.2, 1.3, 1.4, 1.5]);
  });

  it('gives a flat or empty series an axis', () => {
    expect(niceTicks(0, 0)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(50, 50).length).toBeGreaterThan(1);
    expect(niceTicks(Number.NaN, Number.NaN)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  });

  it('keeps whole-number ticks for counts', () => {
    expect(niceTicks(0, 3, 5, true)).toEqual([0, 1, 2, 3]);
  });

  it('tells how many decimals a step needs', () => {
    expect(decimalsFor(5)).toBe(0);
    expect(decimalsFor(1)).toBe(0);
    expect(decimalsFor(0.2)).toBe(1);
    expect(decimalsFor(0.05)).toBe(2);
  });
});

describe('valueAxis', () => {
  it('never repeats a label (1.2-1.9 kW used to read "1 kW 1 kW 2 kW")', () => {
    const axis = valueAxis([1_200, 1_900], { steps: POWER_STEPS, min: 0 });
    expect(axis.unit).toBe('kW');
    expect(labels(axis)).toEqual(['0.0', '0.5', '1.0', '1.5', '2.0'].map((v) => `${v}${NBSP}kW`));
    for (const [lo, hi] of [
      [0, 1],
      [980, 1_020],
      [12_345, 12_399],
      [0, 2_750_000],
      [1.08, 1.43],
    ]) {
      const all = labels(valueAxis([lo, hi], { steps: POWER_STEPS }));
      expect(new Set(all).size, all.join(' | ')).toBe(all.length);
    }
  });

  it('scales W to kW to MW by the axis maximum, once for the whole axis', () => {
    expect(valueAxis([0, 800], { steps: POWER_STEPS }).unit).toBe('W');
    expect(valueAxis([0, 800_000], { steps: POWER_STEPS }).unit).toBe('kW');
    const mw = valueAxis([0, 1_400_000], { steps: POWER_STEPS });
    expect(mw.unit).toBe('MW');
    expect(labels(mw)).toEqual(['0.0', '0.5', '1.0', '1.5'].map((v) => `${v}${NBSP}MW`));
    expect(mw.ticks).toEqual([0, 500_000, 1_000_000, 1_500_000]);
  });

  it('keeps number and unit on one line and is wide enough for the longest label', () => {
    const axis = valueAxis([0, 800_000], { steps: POWER_STEPS });
    expect(labels(axis).every((l) => !l.includes(' '))).toBe(true);
    expect(axis.format(800_000)).toBe(`800${NBSP}kW`);
    expect(axis.width).toBeGreaterThanOrEqual(`800${NBSP}kW`.length * 7);
    const thousands = valueAxis([0, 9_000], { unit: 'GPUs', integer: true });
    expect(thousands.format(8_000)).toBe(`8,000${NBSP}GPUs`);
  });

  it('scales energy and bytes with their own steps', () => {
    expect(valueAxis([0, 2_500], { steps: ENERGY_STEPS }).unit).toBe('MWh');
    const gib = valueAxis([0, 80 * 2 ** 30], { steps: BYTE_STEPS });
    expect(gib.unit).toBe('GiB');
    expect(labels(gib).at(-1)).toBe(`80${NBSP}GiB`);
  });

  it('honours a fixed range and plain units', () => {
    const pct = valueAxis([12, 40], { unit: '%', min: 0, max: 100 });
    expect(pct.domain).toEqual([0, 100]);
    expect(labels(pct)).toEqual(['0', '20', '40', '60', '80', '100'].map((v) => `${v}${NBSP}%`));
    expect(valueAxis([], { unit: '°C' }).ticks.length).toBeGreaterThan(1);
  });
});

describe('timeAxis', () => {
  const at = (hhmmss: string) => Date.parse(`2026-12-05T${hhmmss}Z`);

  it('puts ticks on whole steps with distinct labels ("06:43 06:43 06:44" was shown)', () => {
    const axis = timeAxis(at('06:42:10'), at('06:48:40'));
    expect(axis.ticks.map(axis.format)).toEqual(['06:44', '06:46', '06:48']);
    const short = timeAxis(at('06:42:10'), at('06:47:40'));
    expect(short.ticks.map(short.format)).toEqual(['06:43', '06:44', '06:45', '06:46', '06:47']);
    for (const [from, to] of [
      ['06:00:00', '06:00:40'],
      ['06:00:00', '06:15:00'],
      ['00:00:00', '23:59:00'],
    ] as const) {
      const a = timeAxis(at(from), at(to));
      const labels = a.ticks.map(a.format);
      expect(labels.length, labels.join(' ')).toBeGreaterThan(1);
      expect(labels.length).toBeLessThanOrEqual(6);
      expect(new Set(labels).size, labels.join(' ')).toBe(labels.length);
    }
  });

  it('shows seconds only when the step is under a minute, and dates for steps of a day', () => {
    const seconds = timeAxis(at('06:00:00'), at('06:00:40'));
    expect(seconds.format(seconds.ticks[1])).toBe('06:00:15');
    const week = timeAxis(Date.parse('2026-11-28T06:00:00Z'), Date.parse('2026-12-05T06:00:00Z'));
    expect(week.ticks.map(week.format)).toEqual(['11-29', '12-01', '12-03', '12-05']);
  });

  it('gives an empty or single-instant range a sane axis', () => {
    expect(timeAxis(Number.NaN, Number.NaN).ticks).toEqual([]);
    expect(timeAxis(at('06:00:00'), at('06:00:00')).ticks).toEqual([at('06:00:00')]);
  });
});
