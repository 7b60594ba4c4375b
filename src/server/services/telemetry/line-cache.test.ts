/**
 * The per-target line cache must be invisible: every scrape buffers exactly the rows, series, drops and counters the
 * full path (parse → dialect → facility normalisation → series key) gives. Each case feeds the same documents, with
 * changing values (sentinels, NaN, ±Inf, scaled and aliased units, timestamps in and out of the window), to a pipeline
 * with the cache and to one without, and compares everything they buffered. No database: nothing is flushed.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { type DialectName, ExpositionParseError } from '@/telemetry';
import { IngestPipeline } from './ingest';

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const OLD = NOW - 30 * 86_400_000; // outside a 7-day raw window

type Meta = { targetId: number | null; hostname?: string; instance?: string };

function pipeline(lineCache: boolean): IngestPipeline {
  return new IngestPipeline({} as pg.Pool, { bufferMaxSamples: 1_000_000, rawRetentionDays: 7, lineCache });
}

function snapshot(p: IngestPipeline) {
  const { acceptedSamples, dialectDroppedSamples, outOfWindowSamples, droppedSamples, bufferedSamples } = p.stats;
  return {
    stats: { acceptedSamples, dialectDroppedSamples, outOfWindowSamples, droppedSamples, bufferedSamples },
    rows: p.bufferedRows(),
    series: p.series.pendingSeries(),
  };
}

/** Feeds `scrapes` (k → document) to both pipelines, scrape by scrape, and expects identical results. */
function expectSameAsFullPath(dialect: DialectName, meta: Meta, scrapes: number, doc: (k: number) => string): IngestPipeline {
  const cached = pipeline(true);
  const full = pipeline(false);
  for (let k = 0; k < scrapes; k++) {
    const text = doc(k);
    const nowMs = NOW + k * 10_000;
    expect(cached.ingestText(text, dialect, { ...meta, nowMs }), `scrape ${k}`).toBe(full.ingestText(text, dialect, { ...meta, nowMs }));
  }
  expect(snapshot(cached)).toEqual(snapshot(full));
  expect(cached.lineCaches.hits).toBeGreaterThan(0);
  return cached;
}

const gpuLabels = (g: number, host = 'Hostname="node-1"') =>
  `gpu="${g}",UUID="GPU-5f0c2a1e-7d3b-4c9a-8e21-0b6d4f9a3c1${g}",pci_bus_id="00000000:1A:00.0",device="nvidia${g}",modelName="NVIDIA \\"H100\\" 80GB",${host},DCGM_FI_DRIVER_VERSION="535.129.03"`;

function dcgmDoc(k: number): string {
  const lines = ['# HELP DCGM_FI_DEV_GPU_TEMP GPU temperature (in C).', '# TYPE DCGM_FI_DEV_GPU_TEMP gauge'];
  for (const g of [0, 1]) {
    lines.push(`DCGM_FI_DEV_GPU_TEMP{${gpuLabels(g)}} ${40 + k + g}`);
    // fp64 field: 2^47 is its blank sentinel, NaN a dropped reading.
    lines.push(`DCGM_FI_DEV_POWER_USAGE{${gpuLabels(g)}} ${k === 1 ? '140737488355328' : k === 2 ? 'NaN' : `${300.25 + k * 1.1}`}`);
    // MiB → bytes, fractional (scaleValue's rounding).
    lines.push(`DCGM_FI_DEV_FB_USED{${gpuLabels(g)}} ${0.1 * (k + 1) + g}`);
    // int64 field: 2^63-ish is its blank sentinel.
    lines.push(`DCGM_FI_DEV_MEMORY_TEMP{${gpuLabels(g)}} ${k === 3 ? '9223372036854775794' : 35 + k}`);
    // Not in our table: passed through; NaN kept, +Inf caught by the int64 sentinel check.
    lines.push(`DCGM_FI_DEV_SOMETHING_NEW{${gpuLabels(g)}} ${['NaN', '+Inf', '-Inf', '7'][k % 4]}`);
  }
  // Lower-case hostname, MIG, a Kubernetes pod with '}' in a value, odd spacing, tabs, explicit timestamps (one outside
  // the stored window), a label-less series, a trailing comma, CRLF.
  lines.push(
    `DCGM_FI_DEV_FB_FREE{gpu="2",UUID="MIG-abc",GPU_I_PROFILE="1g.10gb",GPU_I_ID="13",hostname="node-9",pod="llm-}0",namespace="ml"} ${5120 + k}`,
    `DCGM_FI_DEV_SM_CLOCK {gpu="3",UUID="GPU-3",}   ${1500 + k}   ${NOW - 5_000}  `,
    `\tDCGM_FI_DEV_MEM_CLOCK{gpu="3",UUID="GPU-3"}\t${1600 + k}\t${k === 2 ? OLD : NOW - 1}`,
    `DCGM_FI_DEV_COUNT ${8 + k}\r`,
    `DCGM_FI_DEV_PCIE_REPLAY_COUNTER{gpu="4"} ${k}e3`,
  );
  return `${lines.join('\n')}\n`;
}

function facilityDoc(k: number): string {
  return [
    '# TYPE plenum_ups_estimated_minutes_remaining gauge',
    `plenum_ups_estimated_minutes_remaining{site="ams-ai-1",ups="UPS A"} ${39.7 + k * 0.3}`, // × 60 → ups_runtime_s
    `plenum_ups_on_battery{site="ams-ai-1",ups="UPS A"} ${k % 2}`,
    `plenum_cooling_unit_supply_temp_celsius{site="ams-ai-1",unit="CDU 1",kind="cdu"} ${18.5 + k}`,
    `plenum_cooling_unit_supply_temp_celsius{site="ams-ai-1",unit="CRAH A-1",kind="crah"} ${k === 1 ? 'NaN' : 21 + k}`,
    `plenum_rack_pdu_power_watts{site="ams-ai-1",hall="ams-ai-1/hall-a",rack="A1-01",pdu="A1-01 PDU-A"} ${8123.5 + k}`,
    `plenum_pdu_power_w{device="pdu-r01-a"} ${k === 2 ? '+Inf' : 8000 + k}`,
    `plenum_some_new_thing_watts{site="ams-ai-1",rack="A1-01"} ${k === 3 ? 'NaN' : k}`,
    `plenum_site_thing{site="ams-ai-1"} ${k}`,
  ].join('\n');
}

function prometheusDoc(k: number): string {
  return [
    `gpu_power_w{uuid="GPU-x",gpu="0"} ${k === 1 ? 'NaN' : 250 + k}`,
    `gpu_temp_c{uuid="GPU-x",Hostname="own-host"} ${50 + k}`,
    `node_power_supply_watts{instance="other:9100"} ${k === 2 ? '-Inf' : 400 + k}`,
    `process_cpu_seconds_total ${k * 0.01}`,
    `up 1 ${k === 3 ? OLD : NOW}`,
    `{"my.metric", "label.name"="v"} ${k}`,
  ].join('\n');
}

describe('line cache: a cached line maps exactly as an uncached one', () => {
  it('dcgm: sentinels, NaN / ±Inf, MiB scaling, MIG, odd spacing, timestamps, window', () => {
    expectSameAsFullPath('dcgm', { targetId: 1 }, 8, dcgmDoc);
  });

  it('dcgm with a host override (hostname label added where the series has none)', () => {
    expectSameAsFullPath('dcgm', { targetId: 2, hostname: 'override-host' }, 4, dcgmDoc);
  });

  it('plenum facility: aliases with unit factors, cooling kinds, catalogue form, pass-through', () => {
    expectSameAsFullPath('plenum', { targetId: 3 }, 8, facilityDoc);
  });

  it('prometheus with an instance label, catalogue names, non-finite readings, quoted UTF-8 names', () => {
    expectSameAsFullPath('prometheus', { targetId: 4, instance: 'gpu-node:9400' }, 8, prometheusDoc);
  });

  it('nvidia-smi: the real nvidia_gpu_exporter captures, host from the target', () => {
    const dir = fileURLToPath(new URL('../../../../../shared/fixtures/exporters/nvidia_gpu_exporter/testdata/', import.meta.url));
    const docs = ['idle', 'load'].map((s) => readFileSync(`${dir}linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01__${s}.metrics`, 'utf8'));
    expectSameAsFullPath('nvidia-smi', { targetId: 5, hostname: 'lab-node-7' }, 4, (k) => docs[k % 2]!);
  });

  it('amd: the AMD Device Metrics Exporter fixture, scaled units, per-block ECC labels, prefixed names, NaN', () => {
    const text = readFileSync(fileURLToPath(new URL('../../../../tests/fixtures/amd/device-metrics-exporter-mi300x.prom', import.meta.url)), 'utf8');
    const prefixed = text.replace(/^(# TYPE )?(gpu_|pcie_|xgmi_)/gm, '$1amd_$2');
    const docs = [text, prefixed, `${text}gpu_power_usage{gpu_id="5",hostname="mi300x-node1"} NaN\n`];
    expectSameAsFullPath('amd', { targetId: 6 }, 6, (k) => docs[k % 3]!);
  });

  it('the tpu dialect (GKE TPU device plugin text, chips by accelerator_id, a non-finite reading dropped)', () => {
    const text = readFileSync(fileURLToPath(new URL('../../../../tests/fixtures/tpu/gke-tpu-device-plugin-v5p.prom', import.meta.url)), 'utf8');
    const docs = [text, `${text}duty_cycle_node{accelerator_id="7305948170026414481-3",make="cloud-tpu",model="tpu-v5p-slice",tpu_topology="2x2x1"} NaN\n`];
    expectSameAsFullPath('tpu', { targetId: 7, hostname: 'tpu-v5p-host-0' }, 6, (k) => docs[k % 2]!);
  });

  it('without a target id too (ad-hoc ingest shares one cache per dialect and host)', () => {
    expectSameAsFullPath('dcgm', { targetId: null }, 4, dcgmDoc);
  });

  it('series lines in a different order, and lines coming and going', () => {
    const lines = dcgmDoc(0).split('\n').filter((l) => l && !l.startsWith('#'));
    expectSameAsFullPath('dcgm', { targetId: 6 }, 6, (k) => {
      const picked = lines.filter((_, i) => (i + k) % 3 !== 0);
      return (k % 2 ? picked.reverse() : picked).join('\n');
    });
  });
});

describe('line cache behaviour', () => {
  it('serves repeat scrapes from the cache', () => {
    const p = pipeline(true);
    p.ingestText(dcgmDoc(0), 'dcgm', { targetId: 1, nowMs: NOW });
    const lines = p.lineCaches.size;
    expect(lines).toBeGreaterThan(10);
    const { hits, misses } = p.lineCaches;
    p.ingestText(dcgmDoc(4), 'dcgm', { targetId: 1, nowMs: NOW + 10_000 });
    expect(p.lineCaches.size).toBe(lines);
    expect(p.lineCaches.misses - misses).toBe(0);
    expect(p.lineCaches.hits - hits).toBe(dcgmDoc(4).split('\n').filter((l) => l && !l.startsWith('#')).length);
  });

  it('a new label value is a new series; the known lines keep theirs', () => {
    const p = pipeline(true);
    const doc = (host: string) => `DCGM_FI_DEV_GPU_TEMP{gpu="0",UUID="GPU-1",Hostname="${host}"} 41\nDCGM_FI_DEV_GPU_TEMP{gpu="1",UUID="GPU-2",Hostname="a"} 42\n`;
    p.ingestText(doc('a'), 'dcgm', { targetId: 1, nowMs: NOW });
    p.ingestText(doc('b'), 'dcgm', { targetId: 1, nowMs: NOW + 1 });
    const [a0, a1, b0, a1again] = p.bufferedRows().map((r) => r.series);
    expect(a0).toContain('Hostname=a');
    expect(b0).toContain('Hostname=b');
    expect(b0).not.toBe(a0);
    expect(a1again).toBe(a1);
    expect(p.series.pendingSeries().map((s) => s.labels.Hostname)).toEqual(['a', 'a', 'b']);
  });

  it('a malformed line rejects the whole scrape, cached lines included: nothing buffered, nothing counted', () => {
    const p = pipeline(true);
    p.ingestText(dcgmDoc(0), 'dcgm', { targetId: 1, nowMs: NOW });
    const before = snapshot(p);
    const bad = `${dcgmDoc(1)}DCGM_FI_DEV_GPU_TEMP{gpu="0" 41\n`;
    expect(() => p.ingestText(bad, 'dcgm', { targetId: 1, nowMs: NOW + 10_000 })).toThrow(ExpositionParseError);
    // A cached series text followed by a bad value is an error too, named by the full parser.
    const badValue = dcgmDoc(1).replace(/} 41\n/, '} 4x1\n');
    expect(badValue).not.toBe(dcgmDoc(1));
    expect(() => p.ingestText(badValue, 'dcgm', { targetId: 1, nowMs: NOW + 10_000 })).toThrow(/invalid value "4x1"/);
    expect(snapshot(p)).toEqual(before);
  });

  it('is dropped when the inventory changes, and per target', () => {
    const p = pipeline(true);
    p.ingestText(dcgmDoc(0), 'dcgm', { targetId: 1, nowMs: NOW });
    p.ingestText(dcgmDoc(0), 'dcgm', { targetId: 2, nowMs: NOW });
    const perTarget = p.lineCaches.size / 2;
    p.lineCaches.forgetTarget(2);
    expect(p.lineCaches.size).toBe(perTarget);
    p.mapper.version = 'another inventory';
    const misses = p.lineCaches.misses;
    p.ingestText(dcgmDoc(4), 'dcgm', { targetId: 1, nowMs: NOW + 10_000 });
    expect(p.lineCaches.misses - misses).toBe(dcgmDoc(4).split('\n').filter((l) => l && !l.startsWith('#')).length);
    expect(p.lineCaches.size).toBe(perTarget);
  });

  it('stays within its bound', () => {
    const p = new IngestPipeline({} as pg.Pool, { bufferMaxSamples: 1_000_000, rawRetentionDays: 7 });
    (p.lineCaches as { maxLines: number }).maxLines = 50;
    for (let k = 0; k < 20; k++) p.ingestText(`m{pod="p${k}",i="1"} 1\nm{pod="p${k}",i="2"} 1\nm{pod="p${k}",i="3"} 1\n`, 'prometheus', { targetId: 1, nowMs: NOW });
    expect(p.lineCaches.size).toBeLessThanOrEqual(53);
  });
});
