import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { getMetricDef, type Unit } from '../catalogue';
import { parseExposition } from '../exposition';
import { DCGM_RULES, mapDcgm } from './dcgm';
import { detectDialect, mapExposition } from './index';

const dir = fileURLToPath(new URL('../../../../shared/fixtures/exporters/dcgm-exporter/', import.meta.url));

interface CounterRow {
  field: string;
  type: string;
  help: string;
}

/** Rows of a dcgm-exporter counters csv that are enabled (not commented out), as dcgm-exporter reads them. */
function readCounters(file: string): CounterRow[] {
  const rows: CounterRow[] = [];
  for (const line of readFileSync(dir + file, 'utf8').split('\n')) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const [field, type, ...help] = line.split(',');
    rows.push({ field: field.trim(), type: type.trim(), help: help.join(',').trim() });
  }
  return rows;
}

/** The unit the help text states, and the factor to ours (independent of the dialect's own table). */
function expectedFromHelp(help: string): { unit: Unit; factor: number } | { units: Unit[] } {
  if (help.includes('(in MHz)')) return { unit: 'MHz', factor: 1 };
  if (help.includes('(in C)')) return { unit: 'C', factor: 1 };
  if (help.includes('(in W)')) return { unit: 'W', factor: 1 };
  if (help.includes('(in mJ)')) return { unit: 'mJ', factor: 1 };
  if (help.includes('(in %)')) return { unit: 'pct', factor: 1 };
  if (help.includes('(in MiB)')) return { unit: 'bytes', factor: 1024 * 1024 };
  if (help.includes('in bytes per second')) return { unit: 'bytes_per_s', factor: 1 };
  if (help.startsWith('Ratio of')) return { unit: 'ratio', factor: 1 };
  return { units: ['count', 'code', 'bool'] }; // counts, codes, flags
}

/** The label set dcgm-exporter writes (fixtures/README.md), for GPU `gpu`. */
function dcgmLabels(gpu: number, extra = ''): string {
  return `gpu="${gpu}",UUID="GPU-5f0c2a1e-7d3b-4c9a-8e21-0b6d4f9a3c1${gpu}",pci_bus_id="00000000:1A:00.0",device="nvidia${gpu}",modelName="NVIDIA H100 80GB HBM3",Hostname="node-1",DCGM_FI_DRIVER_VERSION="535.129.03"${extra}`;
}

function documentFor(rows: CounterRow[], value: (row: CounterRow) => number): string {
  const out: string[] = [];
  for (const row of rows) {
    if (row.type === 'label') continue; // DCGM_FI_DRIVER_VERSION: becomes a label, not a series
    out.push(`# HELP ${row.field} ${row.help}`, `# TYPE ${row.field} ${row.type}`);
    for (const gpu of [0, 1]) out.push(`${row.field}{${dcgmLabels(gpu)}} ${value(row) + gpu}`);
  }
  return `${out.join('\n')}\n`;
}

describe('dcgm dialect: every enabled counter of the real dcgm-exporter counter lists', () => {
  for (const file of ['default-counters.csv', 'dcp-metrics-included.csv']) {
    it(`${file}: each counter maps to a catalogue metric with the unit its help states`, () => {
      const rows = readCounters(file);
      expect(rows.length).toBeGreaterThan(20);
      const series = rows.filter((r) => r.type !== 'label');
      const text = documentFor(rows, () => 42);
      const { samples, stats } = mapDcgm(parseExposition(text).samples);
      expect(stats.total).toBe(series.length * 2);
      expect(stats.passedThrough).toBe(0);
      expect(stats.mapped).toBe(series.length * 2);
      for (const row of series) {
        const got = samples.filter((s) => s.labels.DCGM_FI_DRIVER_VERSION && DCGM_RULES.get(row.field)?.metric === s.metric);
        expect(got.length, row.field).toBeGreaterThanOrEqual(2);
        const r = DCGM_RULES.get(row.field)!;
        const def = getMetricDef(r.metric)!;
        const exp = expectedFromHelp(row.help);
        if ('unit' in exp) {
          expect(def.unit, `${row.field} → ${r.metric}`).toBe(exp.unit);
          const g0 = got.find((s) => s.gpuIndex === 0 && s.labels.DCGM_FI_DRIVER_VERSION)!;
          expect(g0.value, row.field).toBe(42 * exp.factor);
        } else {
          expect(exp.units, `${row.field} → ${r.metric} (${def.unit})`).toContain(def.unit);
        }
        expect(def.kind, row.field).toBe(row.type);
      }
      const s = samples.find((x) => x.metric === 'gpu_power_w' && x.gpuIndex === 1)!;
      expect(s).toMatchObject({
        unit: 'W',
        value: 43,
        gpuUuid: 'GPU-5f0c2a1e-7d3b-4c9a-8e21-0b6d4f9a3c11',
        hostname: 'node-1',
        gpuIndex: 1,
      });
      expect(s.labels).toMatchObject({ pci_bus_id: '00000000:1A:00.0', device: 'nvidia1', modelName: 'NVIDIA H100 80GB HBM3' });
      expect(s.migInstance).toBeUndefined();
      expect(s.k8s).toBeUndefined();
    });
  }

  it('1.x-compatibility-metrics.csv: unambiguous names map; the ambiguous dcgm_fi_prof_* pass through', () => {
    const rows = readCounters('1.x-compatibility-metrics.csv');
    const text = documentFor(
      // The file lists dcgm_fi_prof_pcie_tx_bytes twice; the exposition can only hold one TYPE per family.
      rows.filter((r, k) => rows.findIndex((x) => x.field === r.field) === k),
      () => 7,
    );
    const { samples } = mapDcgm(parseExposition(text).samples);
    for (const row of rows) {
      const got = samples.find((s) => s.labels.gpu === '0' && (s.metric === row.field || DCGM_RULES.get(row.field)?.metric === s.metric));
      expect(got, row.field).toBeDefined();
      if (row.field.startsWith('dcgm_fi_prof_')) {
        expect(got!.known, row.field).toBe(false);
        expect(got!.metric).toBe(row.field);
      } else {
        expect(got!.known, row.field).toBe(true);
        const exp = expectedFromHelp(row.help);
        if ('unit' in exp) {
          expect(got!.unit, row.field).toBe(exp.unit);
          expect(got!.value, row.field).toBe(7 * exp.factor);
        }
      }
    }
  });
});

describe('dcgm dialect quirks', () => {
  it("drops DCGM's not-supported sentinels and counts them; keeps real large counters", () => {
    const text = [
      `DCGM_FI_DEV_MEMORY_TEMP{${dcgmLabels(0)}} 9223372036854775794`,
      `DCGM_FI_DEV_XID_ERRORS{${dcgmLabels(0)}} 9223372036854775792`,
      `DCGM_FI_PROF_GR_ENGINE_ACTIVE{${dcgmLabels(0)}} 140737488355328`,
      `DCGM_FI_DEV_NOT_IN_OUR_TABLE{${dcgmLabels(0)}} 9223372036854775795`,
      `DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{${dcgmLabels(0)}} 140737488355328`, // int64 field: a real (huge) count
      `DCGM_FI_DEV_GPU_TEMP{${dcgmLabels(0)}} 41`,
    ].join('\n');
    const { samples, stats } = mapDcgm(parseExposition(text).samples);
    expect(stats).toMatchObject({ total: 6, mapped: 2, passedThrough: 0, droppedSentinel: 4 });
    expect(stats.droppedByName).toEqual({
      DCGM_FI_DEV_MEMORY_TEMP: 1,
      DCGM_FI_DEV_XID_ERRORS: 1,
      DCGM_FI_PROF_GR_ENGINE_ACTIVE: 1,
      DCGM_FI_DEV_NOT_IN_OUR_TABLE: 1,
    });
    expect(samples.map((s) => [s.metric, s.value])).toEqual([
      ['gpu_energy_mj', 140737488355328],
      ['gpu_temp_c', 41],
    ]);
  });

  it('reads the lower-case hostname of newer releases, MIG labels and the Kubernetes pod', () => {
    const text = [
      'DCGM_FI_DEV_FB_USED{gpu="2",UUID="GPU-ABCDEF01-0000-0000-0000-000000000002",pci_bus_id="00000000:2A:00.0",device="nvidia2",modelName="NVIDIA H100 80GB HBM3",GPU_I_PROFILE="1g.10gb",GPU_I_ID="13",hostname="node-9",DCGM_FI_DRIVER_VERSION="580.65.06",container="trainer",namespace="ml",pod="llm-0"} 5120',
    ].join('\n');
    const [s] = mapDcgm(parseExposition(text).samples).samples;
    expect(s).toMatchObject({
      metric: 'gpu_fb_used_bytes',
      unit: 'bytes',
      value: 5120 * 1048576,
      gpuUuid: 'GPU-abcdef01-0000-0000-0000-000000000002',
      hostname: 'node-9',
      gpuIndex: 2,
      migInstance: { profile: '1g.10gb', gpuInstanceId: 13 },
      k8s: { pod: 'llm-0', namespace: 'ml', container: 'trainer' },
    });
  });

  it('uses the scrape context hostname only when the series has none, and passes unknown series through', () => {
    const text = 'DCGM_FI_DEV_SOMETHING_NEW{gpu="0",UUID="GPU-1"} 3\nDCGM_FI_DEV_GPU_TEMP{gpu="0",UUID="GPU-1",Hostname="own"} 50\n';
    const { samples, stats } = mapDcgm(parseExposition(text).samples, { hostname: 'ctx', defaultTimestampMs: 1000 });
    expect(stats).toMatchObject({ mapped: 1, passedThrough: 1 });
    expect(samples[0]).toMatchObject({ metric: 'DCGM_FI_DEV_SOMETHING_NEW', known: false, unit: 'unknown', hostname: 'ctx', timestampMs: 1000 });
    expect(samples[1]).toMatchObject({ metric: 'gpu_temp_c', hostname: 'own' });
  });

  it('drops NaN readings of known metrics, counted', () => {
    const { samples, stats } = mapDcgm(parseExposition('DCGM_FI_DEV_POWER_USAGE{gpu="0"} NaN\n').samples);
    expect(samples).toHaveLength(0);
    expect(stats.droppedNonFinite).toBe(1);
  });

  it('auto-detects dcgm documents', () => {
    const text = documentFor(readCounters('default-counters.csv'), () => 1);
    expect(detectDialect(parseExposition(text).samples)).toBe('dcgm');
    expect(mapExposition(text).stats.passedThrough).toBe(0);
  });
});
