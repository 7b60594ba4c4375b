import { describe, expect, it } from 'vitest';
import { DAY_S, hourlyDailyCurve, type JobPower, parseHourlyCurve, reservationW, sineDailyCurve } from './inference-reserve';

const H = 3600;
const share: JobPower = { staticW: 20, dynamicW: 350, inference: true };
const training: JobPower = { staticW: 40, dynamicW: 700, inference: false };

describe('the forecast reservation rule', () => {
  // bench:facility's curve: 0.75 + 0.25 sin(2πt / day): 1.0 at 6 h, 0.5 at 18 h.
  const sine = sineDailyCurve(0.5, 1);

  it('reserves less than the peak for a short share in the trough of the curve', () => {
    // 18:00-19:00: the curve rises from its minimum 0.5 to 0.75 + 0.25 sin(2π · 19/24) = 0.75 − 0.25 · 0.96593 = 0.50852.
    const atEnd = 0.75 + 0.25 * Math.sin((2 * Math.PI * 19) / 24);
    expect(atEnd).toBeCloseTo(0.50852, 5);
    expect(reservationW(share, 18 * H, H, sine)).toBeCloseTo(20 + 350 * atEnd, 9); // 197.98 W
    expect(reservationW(share, 18 * H, H, sine)).toBeLessThan(370);
  });

  it('reserves the peak for a share whose time limit spans the daily maximum', () => {
    expect(reservationW(share, 5 * H, 2 * H, sine)).toBe(370);
    // The next day's maximum (30 h) inside the window counts too; a window of a day or more always holds one.
    expect(reservationW(share, 29 * H, 2 * H, sine)).toBe(370);
    expect(reservationW(share, 7 * H, DAY_S, sine)).toBe(370);
  });

  it('reserves the peak with no time limit, no curve, or a whole-GPU pod', () => {
    expect(reservationW(share, 18 * H, null, sine)).toBe(370);
    expect(reservationW(share, 18 * H, H, null)).toBe(370);
    expect(reservationW(training, 18 * H, H, sine)).toBe(740);
  });

  it('never reserves below the curve anywhere in the window', () => {
    for (let from = 0; from < DAY_S; from += 1234) {
      const reserved = reservationW(share, from, 2 * H, sine);
      for (let t = from; t <= from + 2 * H; t += 60) expect(20 + 350 * sine.activityAt(t)).toBeLessThanOrEqual(reserved + 1e-9);
    }
  });
});

describe('hourly curve', () => {
  // 0.5 all day but 0.8 from 13:00 and 1.0 from 14:00 to 15:00.
  const hours = Array.from({ length: 24 }, (_, h) => (h === 13 ? 0.8 : h === 14 ? 1 : 0.5));
  const curve = hourlyDailyCurve(hours);

  it('takes the largest value of the hours a window touches', () => {
    expect(curve.peakOver(10 * H, 11.5 * H)).toBe(0.5);
    expect(curve.peakOver(12.5 * H, 13.2 * H)).toBe(0.8);
    expect(curve.peakOver(12 * H, 14 * H)).toBe(1); // closed: the instant 14:00 is in hour 14
    expect(curve.peakOver(15 * H, 20 * H)).toBe(0.5);
    expect(curve.peakOver(DAY_S + 13.5 * H, DAY_S + 13.9 * H)).toBe(0.8); // the next day, same hours
    expect(curve.peakOver(20 * H, 20 * H + DAY_S)).toBe(1);
    expect(curve.activityAt(-10 * H)).toBe(1); // 14:00 of the day before the epoch
    // A share of 600 W expected draw (no static part, as the product counts it) over 15:00-16:00 and 12:30-14:30.
    const product: JobPower = { staticW: 0, dynamicW: 600, inference: true };
    expect(reservationW(product, 15 * H, H, curve)).toBe(300);
    expect(reservationW(product, 12.5 * H, 2 * H, curve)).toBe(600);
  });

  it('parses 24 comma-separated activities and refuses anything else', () => {
    expect(parseHourlyCurve(hours.join(', ')).peakOver(13 * H, 13.5 * H)).toBe(0.8);
    expect(() => parseHourlyCurve(hours.slice(1).join(','))).toThrow('an hourly curve needs 24 values, got 23');
    expect(() => parseHourlyCurve([0, ...hours.slice(1)].join(','))).toThrow('hour 0: activity must be more than 0 and at most 1, got 0');
    expect(() => parseHourlyCurve([...hours.slice(0, 23), 1.2].join(','))).toThrow('hour 23: activity must be more than 0 and at most 1, got 1.2');
    expect(() => parseHourlyCurve([...hours.slice(0, 5), 'x', ...hours.slice(6)].join(','))).toThrow('hour 5');
    expect(() => parseHourlyCurve([...hours.slice(0, 5), '', ...hours.slice(6)].join(','))).toThrow('hour 5');
  });
});
