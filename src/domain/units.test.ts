import { describe, expect, it } from 'vitest';
import {
  circuitPowerW,
  cToF,
  formatAxisTime,
  formatBytes,
  formatCount,
  formatDate,
  formatDateTime,
  formatDecimal,
  formatMetric,
  formatTime,
  fromDateTimeInput,
  toDateTimeInput,
  formatGbps,
  formatHeightU,
  formatNumber,
  formatPct,
  formatPowerKw,
  formatPowerW,
  formatRatioAsPct,
  formatTempC,
  formatWeightKg,
  formatWeightLb,
  kwToTonsRefrigeration,
  MISSING,
  percentOf,
  weightToKg,
  wToBtuPerHour,
} from './units';

describe('formatting', () => {
  it('formats power with a unit and three significant digits', () => {
    expect(formatPowerW(1234)).toBe('1.23 kW');
    expect(formatPowerW(850)).toBe('850 W');
    expect(formatPowerW(69.9)).toBe('69.9 W');
    expect(formatPowerW(0)).toBe('0 W');
    expect(formatPowerW(1_600_000)).toBe('1.6 MW');
    expect(formatPowerW(10_200)).toBe('10.2 kW');
    expect(formatPowerW(132_000)).toBe('132 kW');
    expect(formatPowerW(999.6)).toBe('1 kW');
    expect(formatPowerW(-4_112)).toBe('-4.11 kW');
    expect(formatPowerKw(450)).toBe('450 kW');
    expect(formatPowerW(null)).toBe(MISSING);
    expect(formatPowerW(Number.NaN)).toBe(MISSING);
  });

  it('formats the other quantities', () => {
    expect(formatWeightKg(114.05)).toBe('114 kg');
    expect(formatWeightKg(0.45)).toBe('450 g');
    expect(formatWeightKg(1360)).toBe('1.36 t');
    expect(formatWeightLb(10)).toBe('22 lb');
    expect(formatTempC(41.26)).toBe('41.3 °C');
    expect(formatPct(62.5)).toBe('62.5 %');
    expect(formatRatioAsPct(0.8)).toBe('80.0 %');
    expect(formatBytes(81_559 * 2 ** 20)).toBe('79.6 GiB');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatGbps(400)).toBe('400 Gb/s');
    expect(formatGbps(0.1)).toBe('100 Mb/s');
    expect(formatGbps(1600)).toBe('1.6 Tb/s');
    expect(formatHeightU(0.5)).toBe('0.5U');
    expect(formatNumber(9.996)).toBe('10');
    expect(formatNumber(-0.0001, 2)).toBe('-0.0001');
  });
});

describe('conversions', () => {
  it('converts weights to kg', () => {
    expect(weightToKg(14.07, 'lb')).toBeCloseTo(6.3820446, 6);
    expect(weightToKg(16, 'oz')).toBeCloseTo(0.45359237, 9);
    expect(weightToKg(450, 'g')).toBe(0.45);
    expect(weightToKg(7.64, 'kg')).toBe(7.64);
  });
  it('converts heat and temperature', () => {
    expect(wToBtuPerHour(1000)).toBeCloseTo(3412.142, 3);
    expect(kwToTonsRefrigeration(3.516853)).toBeCloseTo(1, 9);
    expect(cToF(27)).toBeCloseTo(80.6, 9);
  });
  it('rates circuits', () => {
    expect(circuitPowerW(230, 32, 'single')).toBe(7360);
    expect(circuitPowerW(400, 32, 'three')).toBeCloseTo(22_170.25, 2);
  });
  it('computes percentages safely', () => {
    expect(percentOf(1, 4)).toBe(25);
    expect(percentOf(1, 0)).toBeNull();
  });
});

describe('counts, decimals, metrics and dates', () => {
  it('formats counts with thousands separators and fixed decimals', () => {
    expect(formatCount(10_240)).toBe('10,240');
    expect(formatCount(999)).toBe('999');
    expect(formatCount(-1_234_567)).toBe('-1,234,567');
    expect(formatCount(null)).toBe(MISSING);
    expect(formatDecimal(1.23456, 2)).toBe('1.23');
    expect(formatDecimal(-0.0001, 2)).toBe('0.00');
    expect(formatDecimal(Number.NaN, 2)).toBe(MISSING);
  });

  it('formats catalogue metrics with a fixed number of digits ("79.64746 GiB" was shown)', () => {
    expect(formatMetric(79.64746 * 2 ** 30, 'bytes')).toBe('79.6 GiB');
    expect(formatMetric(1_234, 'W')).toBe('1.23 kW');
    expect(formatMetric(41.26, 'C')).toBe('41.3 °C');
    expect(formatMetric(0.625, 'ratio')).toBe('62.5 %');
    expect(formatMetric(1_410.4, 'MHz')).toBe('1410 MHz');
    expect(formatMetric(null, 'W')).toBe(MISSING);
  });

  it('writes every date and time in one style, in UTC, naming the zone', () => {
    const at = '2026-12-05T05:56:29.123Z';
    expect(formatDateTime(at)).toBe('2026-12-05 05:56:29 UTC');
    expect(formatDateTime(new Date(at))).toBe('2026-12-05 05:56:29 UTC');
    expect(formatDateTime(Date.parse(at))).toBe('2026-12-05 05:56:29 UTC');
    expect(formatTime(at)).toBe('05:56:29 UTC');
    expect(formatDate(at)).toBe('2026-12-05');
    expect(formatAxisTime(at, 60_000)).toBe('05:56');
    expect(formatAxisTime(at, 15_000)).toBe('05:56:29');
    expect(formatAxisTime(at, 86_400_000)).toBe('12-05');
    expect(formatDateTime(at, { milliseconds: true })).toBe('2026-12-05 05:56:29.123 UTC');
    expect(toDateTimeInput(Date.parse(at))).toBe('2026-12-05T05:56');
    expect(fromDateTimeInput('2026-12-05T05:56')).toBe(Date.parse('2026-12-05T05:56:00Z'));
    expect(fromDateTimeInput('05/12/2026')).toBeNaN();
    expect(formatDateTime(null)).toBe(MISSING);
    expect(formatDateTime('not a date')).toBe(MISSING);
  });
});
