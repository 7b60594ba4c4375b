import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { getMetricDef } from '../catalogue';
import {
  applyScale,
  decodeImage,
  decodePoint,
  decodeRaw,
  encodeImage,
  encodePoint,
  encodeRaw,
  listRegisterMaps,
  loadRegisterMap,
  MAX_READ_REGISTERS,
  parseRegisterMap,
  planReads,
  type RegisterPoint,
  readImage,
  SHIPPED_MAPS_FOLDER,
  storeBlock,
  emptyImage,
  TYPE_WORDS,
  VALUE_TYPES,
  WORD_ORDERS,
  withOrderOverrides,
} from './register-map';

/** Values at the edges of each type, plus ordinary ones; floats are exactly representable in their type. */
const SAMPLES: Record<string, number[]> = {
  int16: [0, 1, -1, 234, -32768, 32767],
  uint16: [0, 1, 0x1234, 65535],
  int32: [0, -1, 123456789, -2147483648, 2147483647],
  uint32: [0, 1, 0x12345678, 4294967295],
  float32: [0, -0.5, Math.fround(23.4), Math.fround(-1234.5678), Math.fround(3.4e38), Math.fround(1e-30)],
  float64: [0, 23.4, -1234.5678901234, 1.7976931348623157e308, 5e-324],
  bool: [0, 1],
};

const point = (over: Partial<RegisterPoint>): RegisterPoint => ({
  metric: 'cdu_supply_temp_c',
  table: 'holding',
  address: 0,
  type: 'uint16',
  wordOrder: 'big',
  byteOrder: 'big',
  scale: 1,
  offset: 0,
  unit: 'C',
  labels: {},
  ...over,
});

describe('register maps: shipped templates', () => {
  it('every shipped map loads, names its file, and uses catalogue metrics in their catalogue units', () => {
    const names = listRegisterMaps([SHIPPED_MAPS_FOLDER]);
    expect(names).toEqual(['generic-cdu', 'generic-crah', 'generic-power-meter']);
    for (const name of names) {
      const map = loadRegisterMap(name, [SHIPPED_MAPS_FOLDER]);
      expect(map.name).toBe(name);
      for (const p of map.points) {
        // cooling_unit_running is the one passed-through name (what the cooling views and alert already read).
        if (p.metric === 'cooling_unit_running') continue;
        expect(getMetricDef(p.metric), `${name}: ${p.metric}`).toBeDefined();
        expect(p.unit).toBe(getMetricDef(p.metric)!.unit);
      }
    }
  });

  it('a shipped map round-trips through encodeImage → readImage → decodeImage', () => {
    for (const name of listRegisterMaps([SHIPPED_MAPS_FOLDER])) {
      const map = loadRegisterMap(name, [SHIPPED_MAPS_FOLDER]);
      // Values a register of each point can hold exactly after scaling.
      const valueFor = (p: RegisterPoint) => (p.type === 'bool' ? p.address % 2 : p.type === 'float32' ? Math.fround(12.5 + p.address) : applyScale(100 + p.address, p.scale, p.offset));
      const served = encodeImage(map, valueFor);
      const read = emptyImage();
      for (const block of planReads(map)) storeBlock(read, block, readImage(served, block));
      const samples = decodeImage(map, read, { device: 'unit-1' }, 1000);
      expect(samples).toHaveLength(map.points.length);
      samples.forEach((s, i) => {
        const p = map.points[i]!;
        expect(s).toEqual({ name: `plenum_${p.metric}`, labels: { ...p.labels, device: 'unit-1' }, value: valueFor(p), timestampMs: 1000 });
      });
    }
  });
});

describe('register maps: values ⇄ words', () => {
  it('every type × word order × byte order round-trips exactly', () => {
    for (const type of VALUE_TYPES) {
      for (const wordOrder of WORD_ORDERS) {
        for (const byteOrder of WORD_ORDERS) {
          for (const value of SAMPLES[type]!) {
            const words = encodeRaw(type, value, wordOrder, byteOrder);
            expect(words).toHaveLength(TYPE_WORDS[type]);
            for (const w of words) expect(w >= 0 && w <= 0xffff).toBe(true);
            expect(Object.is(decodeRaw(type, words, wordOrder, byteOrder), value) || decodeRaw(type, words, wordOrder, byteOrder) === value, `${type} ${wordOrder}/${byteOrder} ${value}`).toBe(true);
          }
        }
      }
    }
  });

  it('word order and byte order put the bytes where a device sends them', () => {
    // 0x11223344 as uint32: AB CD big, CD AB word-swapped, BA DC byte-swapped, DC BA both.
    expect(encodeRaw('uint32', 0x11223344, 'big', 'big')).toEqual([0x1122, 0x3344]);
    expect(encodeRaw('uint32', 0x11223344, 'little', 'big')).toEqual([0x3344, 0x1122]);
    expect(encodeRaw('uint32', 0x11223344, 'big', 'little')).toEqual([0x2211, 0x4433]);
    expect(encodeRaw('uint32', 0x11223344, 'little', 'little')).toEqual([0x4433, 0x2211]);
    // IEEE 754: 1.0 is 0x3FF0000000000000 as float64, 0x3F800000 as float32.
    expect(encodeRaw('float64', 1, 'big')).toEqual([0x3ff0, 0, 0, 0]);
    expect(encodeRaw('float64', 1, 'little')).toEqual([0, 0, 0, 0x3ff0]);
    expect(decodeRaw('float32', [0x3f80, 0x0000])).toBe(1);
    expect(decodeRaw('int16', [0xffff])).toBe(-1);
  });

  it('refuses integers that do not fit their register type', () => {
    expect(() => encodeRaw('uint16', 65536)).toThrow(/does not fit in uint16/);
    expect(() => encodeRaw('int16', -32769)).toThrow(/does not fit in int16/);
    expect(() => encodeRaw('uint32', -1)).toThrow(/does not fit in uint32/);
  });

  it('scale and offset: 0.1 steps read exactly, and encode is the inverse', () => {
    const tenths = point({ type: 'int16', scale: 0.1 });
    expect(decodePoint(tenths, [234])).toBe(23.4);
    expect(decodePoint(tenths, [0xffff])).toBe(-0.1);
    expect(encodePoint(tenths, 23.4)).toEqual([234]);
    const hundredths = point({ type: 'uint32', scale: 0.01, metric: 'meter_energy_kwh', unit: 'kWh' });
    expect(decodePoint(hundredths, [0x0001, 0x0000])).toBe(655.36);
    const kelvinTenths = point({ type: 'uint16', scale: 0.1, offset: -273.15 });
    expect(decodePoint(kelvinTenths, [2960])).toBeCloseTo(22.85, 10);
    expect(encodePoint(kelvinTenths, 22.85)).toEqual([2960]);
    const doubled = point({ scale: 2 });
    expect(decodePoint(doubled, [21])).toBe(42);
    expect(encodePoint(doubled, 42)).toEqual([21]);
  });

  it('per-target overrides change the order of every point', () => {
    const map = loadRegisterMap('generic-power-meter', [SHIPPED_MAPS_FOLDER]);
    const swapped = withOrderOverrides(map, { wordOrder: 'little' });
    expect(swapped.points.every((p) => p.wordOrder === 'little')).toBe(true);
    expect(withOrderOverrides(map, {})).toBe(map);
  });
});

describe('register maps: read plan', () => {
  it('reads touching points together, never across a gap, and splits at 125 registers', () => {
    const map = parseRegisterMap(
      [
        'name: plan',
        'description: test',
        'points:',
        ...Array.from({ length: 130 }, (_, i) => `  - { metric: crah_fan_pct, table: input, address: ${i * 2}, type: float32, unit: pct, labels: { n: "${i}" } }`),
        '  - { metric: crah_fan_pct, table: input, address: 1000, unit: pct }',
        '  - { metric: crah_fan_pct, table: holding, address: 5, unit: pct }',
        '  - { metric: cooling_unit_alarm, table: discrete, address: 0, unit: bool }',
        '  - { metric: cooling_unit_alarm, table: discrete, address: 1, unit: bool, labels: { alarm: b } }',
      ].join('\n'),
      'plan.yaml',
    );
    const blocks = planReads(map);
    expect(blocks).toEqual([
      { table: 'holding', start: 5, count: 1 },
      { table: 'input', start: 0, count: 124 },
      { table: 'input', start: 124, count: 124 },
      { table: 'input', start: 248, count: 12 },
      { table: 'input', start: 1000, count: 1 },
      { table: 'discrete', start: 0, count: 2 },
    ]);
    for (const b of blocks) expect(b.count).toBeLessThanOrEqual(MAX_READ_REGISTERS);
    // A float32 is never split between two requests.
    for (const b of blocks) if (b.table === 'input' && b.start < 1000) expect(b.count % 2).toBe(0);
  });
});

describe('register maps: validation names the field and the reason', () => {
  const base = 'name: bad\ndescription: test\npoints:\n';
  const cases: [string, RegExp][] = [
    ['  - { metric: crah_fan_pct, address: 0, unit: W }', /points\[0\]\.unit: crah_fan_pct is in pct, not W/],
    ['  - { metric: crah_fan_pct, address: 0, unit: pct, type: int8 }', /points\[0\]\.type: /],
    ['  - { metric: crah_fan_pct, address: 70000, unit: pct }', /points\[0\]\.address: /],
    ['  - { metric: crah_fan_pct, address: 65535, type: uint32, unit: pct }', /points\[0\]\.address: uint32 at 65535 runs past/],
    ['  - { metric: crah_fan_pct, table: coil, address: 0, type: uint16, unit: pct }', /points\[0\]\.type: uint16 cannot live in the coil table/],
    ['  - { metric: crah_fan_pct, address: 0, type: float32, unit: pct }\n  - { metric: crah_fan_pct, address: 1, unit: pct }', /points\[1\]\.address: holding 1 overlaps points\[0\]/],
    ['  - { metric: crah_fan_pct, address: 0, unit: pct, scale: 0 }', /points\[0\]\.scale: must not be 0/],
    ['  - { metric: crah_fan_pct, address: 0, unit: pct, colour: red }', /points\[0\]: /],
    ['  - { metric: my_thing, address: 0, unit: furlongs }', /points\[0\]\.unit: "furlongs" is not a unit/],
  ];
  for (const [points, error] of cases) {
    it(`refuses ${points.trim()}`, () => {
      expect(() => parseRegisterMap(base + points, 'bad.yaml')).toThrow(error);
    });
  }

  it('names a missing map and lists the ones there are; a file name must match its map name', () => {
    expect(() => loadRegisterMap('no-such-map', [SHIPPED_MAPS_FOLDER])).toThrow(/no register map "no-such-map" \(available: generic-cdu, generic-crah, generic-power-meter\)/);
    expect(() => loadRegisterMap('../etc/passwd', [SHIPPED_MAPS_FOLDER])).toThrow(/names are lower-case/);
    const own = fs.mkdtempSync(path.join(os.tmpdir(), 'plenum-maps-'));
    try {
      fs.writeFileSync(path.join(own, 'site-cdu.yaml'), 'name: other\ndescription: x\npoints:\n  - { metric: cdu_pump_pct, address: 0, unit: pct }\n');
      expect(() => loadRegisterMap('site-cdu', [own, SHIPPED_MAPS_FOLDER])).toThrow(/site-cdu.yaml: name: "other" differs from the file name/);
      fs.writeFileSync(path.join(own, 'site-cdu.yaml'), 'name: site-cdu\ndescription: x\npoints:\n  - { metric: cdu_pump_pct, address: 0, unit: pct }\n');
      expect(loadRegisterMap('site-cdu', [own, SHIPPED_MAPS_FOLDER]).points).toHaveLength(1);
      expect(listRegisterMaps([own, SHIPPED_MAPS_FOLDER])).toContain('site-cdu');
    } finally {
      fs.rmSync(own, { recursive: true, force: true });
    }
  });
});
