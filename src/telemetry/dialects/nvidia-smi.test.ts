import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseExposition } from '../exposition';
import { mapNvidiaSmiCsv, parseNvidiaSmiCsv } from '../nvidia-smi-csv';
import type { CanonicalSample } from '../samples';
import { mapSamples } from './index';
import { mapNvidiaSmi } from './nvidia-smi';

const root = fileURLToPath(new URL('../../../../shared/fixtures/exporters/nvidia_gpu_exporter/', import.meta.url));
const read = (p: string) => readFileSync(root + p, 'utf8');

/** The body of one `# <state> :: <title>` section of a capture file (after its closing ##### line, up to a blank line). */
function captureSection(text: string, state: string, title: string): string {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.startsWith(`# ${state} :: ${title}`));
  if (at < 0) throw new Error(`no section ${state} :: ${title}`);
  let k = at + 1;
  while (!lines[k].startsWith('####')) k++;
  const body: string[] = [];
  for (k++; k < lines.length && lines[k].trim() !== ''; k++) body.push(lines[k]);
  return body.join('\n');
}

const H100 = 'linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01';
const ZERO_UUID = 'GPU-00000000-0000-0000-0000-000000000000';

function byMetric(samples: CanonicalSample[]): Map<string, CanonicalSample> {
  const m = new Map<string, CanonicalSample>();
  for (const s of samples) if (s.known && !s.migInstance) m.set(s.metric, s);
  return m;
}

describe('nvidia-smi dialect on the real nvidia_gpu_exporter output', () => {
  it.each(['idle', 'load'])('H100 %s: every series accounted for, identity joined, values equal the raw nvidia-smi capture', (state) => {
    const parsed = parseExposition(read(`testdata/${H100}__${state}.metrics`));
    const { samples, stats } = mapNvidiaSmi(parsed.samples, { hostname: 'gpu-node-7' });

    // Nothing silently dropped: every sample is either mapped or passed through.
    expect(stats.total).toBe(parsed.samples.length);
    expect(stats.mapped + stats.passedThrough).toBe(parsed.samples.length);
    expect(samples).toHaveLength(parsed.samples.length);
    expect(stats.mapped).toBeGreaterThanOrEqual(15);

    const m = byMetric(samples);
    const power = m.get('gpu_power_w')!;
    expect(power).toMatchObject({ unit: 'W', gpuUuid: ZERO_UUID, gpuIndex: 0, hostname: 'gpu-node-7' });
    expect(power.labels.uuid).toBe('00000000-0000-0000-0000-000000000000'); // raw labels kept

    // The raw nvidia-smi CSV the exporter parsed, mapped by the independent CSV path.
    const csv = mapNvidiaSmiCsv(parseNvidiaSmiCsv(captureSection(read(`captures/${H100}.txt`), state, 'query-gpu')));
    const fromCsv = byMetric(csv.samples);
    const compared = [
      'gpu_power_w',
      'gpu_power_instant_w',
      'gpu_power_limit_w',
      'gpu_temp_c',
      'gpu_mem_temp_c',
      'gpu_util_pct',
      'gpu_mem_copy_util_pct',
      'gpu_fb_used_bytes',
      'gpu_fb_free_bytes',
      'gpu_fb_reserved_bytes',
      'gpu_fb_total_bytes',
      'gpu_sm_clock_mhz',
      'gpu_mem_clock_mhz',
      'gpu_graphics_clock_mhz',
      'gpu_video_clock_mhz',
      'gpu_pstate',
      'gpu_clock_event_reasons',
    ];
    for (const metric of compared) {
      const a = m.get(metric);
      const b = fromCsv.get(metric);
      expect(a, `${metric} in /metrics`).toBeDefined();
      expect(b, `${metric} in the csv`).toBeDefined();
      expect(a!.unit, metric).toBe(b!.unit);
      expect(a!.value, metric).toBeCloseTo(b!.value, 6);
      expect(b!.gpuUuid).toBe(ZERO_UUID);
    }
  });

  it('H100 load: hand-checked conversions (Hz→MHz, ratio→%, bytes, W)', () => {
    const { samples } = mapNvidiaSmi(parseExposition(read(`testdata/${H100}__load.metrics`)).samples);
    const m = byMetric(samples);
    expect(m.get('gpu_sm_clock_mhz')?.value).toBe(1980); // 1.98e+09 Hz
    expect(m.get('gpu_mem_clock_mhz')?.value).toBe(2619); // 2.619e+09 Hz
    expect(m.get('gpu_util_pct')?.value).toBe(100); // 1 (ratio)
    expect(m.get('gpu_mem_copy_util_pct')?.value).toBe(11); // 0.11, without float noise
    expect(m.get('gpu_power_w')?.value).toBe(631.95);
    expect(m.get('gpu_temp_c')?.value).toBe(59);
    expect(m.get('gpu_mem_temp_c')?.value).toBe(54);
    expect(m.get('gpu_fb_used_bytes')?.value).toBe(20780679168); // 19818 MiB
    expect(m.get('gpu_fb_used_bytes')?.value).toBe(19818 * 1024 * 1024);
    const unknown = samples.find((s) => s.metric === 'nvidia_smi_ecc_mode_current');
    expect(unknown).toMatchObject({ known: false, gpuUuid: ZERO_UUID, value: 1 });
    const seconds = samples.find((s) => s.metric === 'nvidia_smi_clocks_event_reasons_counters_sw_power_cap_seconds');
    expect(seconds?.unit).toBe('s');
  });

  it('RTX 4080 SUPER load: fan speed and the exporter-level series without a GPU', () => {
    const text = read('testdata/linux-x86_64__nvidia-geforce-rtx-4080-super__595.71.05__load.metrics');
    const parsed = parseExposition(text);
    const { samples, stats } = mapNvidiaSmi(parsed.samples);
    expect(stats.mapped + stats.passedThrough).toBe(parsed.samples.length);
    const fanRaw = parsed.samples.find((s) => s.name === 'nvidia_smi_fan_speed_ratio')!;
    const fan = samples.find((s) => s.metric === 'gpu_fan_pct')!;
    expect(fan.unit).toBe('pct');
    expect(fan.value).toBeCloseTo(fanRaw.value * 100, 9);
    const exit = samples.find((s) => s.metric === 'nvidia_smi_command_exit_code')!;
    expect(exit.gpuUuid).toBeUndefined();
    expect(exit.known).toBe(false);
    const info = parsed.samples.find((s) => s.name === 'nvidia_smi_gpu_info')!;
    expect(samples.find((s) => s.metric === 'gpu_power_w')?.gpuIndex).toBe(Number(info.labels.index));
  });

  it('H100 MIG capture: the raw nvidia-smi CSV (idle and load) maps through the CSV path', () => {
    const text = read('captures/linux-x86_64__nvidia-h100-mig__590.48.01.txt');
    for (const state of ['idle', 'load']) {
      const csv = parseNvidiaSmiCsv(captureSection(text, state, 'query-gpu'));
      expect(csv.rows).toHaveLength(1);
      expect(csv.rows[0]['mig.mode.current']).toBe('Enabled');
      const m = byMetric(mapNvidiaSmiCsv(csv).samples);
      expect(m.get('gpu_power_w')?.value).toBeGreaterThan(50);
      expect(m.get('gpu_fb_total_bytes')?.value).toBe(Number.parseInt(csv.rows[0]['memory.total'], 10) * 1024 * 1024);
      expect(m.get('gpu_power_w')?.gpuUuid).toBe(ZERO_UUID);
    }
  });

  it('joins MIG series of the NVML backend with nvidia_smi_mig_info (profile) and keeps the GPU identity', () => {
    const text = [
      'nvidia_smi_gpu_info{index="3",name="NVIDIA H100 80GB HBM3",uuid="0a1b2c3d-0000-0000-0000-00000000000A"} 1',
      'nvidia_smi_mig_info{compute_instance_id="0",gpu_instance_id="2",mig_uuid="MIG-11111111-0000-0000-0000-000000000001",profile="3g.40gb",uuid="0a1b2c3d-0000-0000-0000-00000000000A"} 1',
      'nvidia_smi_mig_memory_used_bytes{gpu_instance_id="2",uuid="0a1b2c3d-0000-0000-0000-00000000000A"} 1.048576e+09',
      'nvidia_smi_mig_graphics_activity_ratio{gpu_instance_id="2",uuid="0a1b2c3d-0000-0000-0000-00000000000A"} 0.25',
      'nvidia_smi_mig_graphics_activity_ratio{gpu_instance_id="9",uuid="0a1b2c3d-0000-0000-0000-00000000000A"} 0.5',
    ].join('\n');
    const { samples } = mapNvidiaSmi(parseExposition(text).samples);
    const used = samples.find((s) => s.metric === 'gpu_fb_used_bytes')!;
    expect(used).toMatchObject({
      gpuUuid: 'GPU-0a1b2c3d-0000-0000-0000-00000000000a',
      gpuIndex: 3,
      unit: 'bytes',
      value: 1048576000,
      migInstance: { gpuInstanceId: 2, profile: '3g.40gb' },
    });
    const active = samples.filter((s) => s.metric === 'gpu_gr_engine_active_ratio');
    expect(active.map((s) => [s.value, s.migInstance])).toEqual([
      [0.25, { gpuInstanceId: 2, profile: '3g.40gb' }],
      [0.5, { gpuInstanceId: 9 }],
    ]);
    const info = samples.find((s) => s.metric === 'nvidia_smi_mig_info')!;
    expect(info.migInstance).toEqual({ gpuInstanceId: 2, profile: '3g.40gb', computeInstanceId: 0, uuid: 'MIG-11111111-0000-0000-0000-000000000001' });
  });

  it('auto routing sends nvidia_smi_ series to this dialect', () => {
    const text = read(`testdata/${H100}__idle.metrics`);
    const auto = mapSamples(parseExposition(text).samples, 'auto', { hostname: 'h' });
    const direct = mapNvidiaSmi(parseExposition(text).samples, { hostname: 'h' });
    expect(auto.samples).toEqual(direct.samples);
  });
});

describe('nvidia-smi --query-gpu CSV', () => {
  it('parses the real H200 1 s capture and maps units', () => {
    const text = readFileSync(
      fileURLToPath(new URL('../../../../shared/fixtures/nvml-h200/nvidia-smi-query-1s.csv', import.meta.url)),
      'utf8',
    );
    const csv = parseNvidiaSmiCsv(text);
    expect(csv.fields.slice(0, 5)).toEqual(['timestamp', 'index', 'uuid', 'name', 'power.draw']);
    expect(csv.units[4]).toBe('W');
    expect(csv.rows.length).toBe(text.trim().split('\n').length - 1);
    const { samples } = mapNvidiaSmiCsv(csv, { hostname: 'h200-1' });
    const first = samples.filter((s) => s.timestampMs === samples[0].timestampMs);
    const m = new Map(first.map((s) => [s.metric, s]));
    expect(m.get('gpu_power_w')?.value).toBe(79.56);
    expect(m.get('gpu_power_limit_w')?.value).toBe(700);
    expect(m.get('gpu_temp_c')?.value).toBe(37);
    expect(m.get('gpu_mem_temp_c')?.value).toBe(40);
    expect(m.get('gpu_fb_total_bytes')?.value).toBe(143771 * 1048576);
    expect(m.get('gpu_sm_clock_mhz')?.value).toBe(345);
    expect(m.get('gpu_mem_clock_mhz')?.value).toBe(3201);
    expect(m.get('gpu_pstate')?.value).toBe(0);
    expect(m.get('gpu_clock_event_reasons')?.value).toBe(1); // 0x…01: GPU idle
    expect(m.get('gpu_power_w')).toMatchObject({
      gpuUuid: 'GPU-5f0c2a1e-7d3b-4c9a-8e21-0b6d4f9a3c17',
      gpuIndex: 0,
      hostname: 'h200-1',
      timestampMs: Date.UTC(2026, 10, 26, 4, 7, 39, 511),
    });
    // Under the bf16 matmul phase the GPU sits at its 700 W cap.
    const maxPower = Math.max(...samples.filter((s) => s.metric === 'gpu_power_w').map((s) => s.value));
    expect(maxPower).toBeGreaterThan(650);
    expect(maxPower).toBeLessThanOrEqual(710);
  });

  it('rejects a row whose cell count differs from the header, naming the line', () => {
    expect(() => parseNvidiaSmiCsv('index, power.draw [W]\n0, 1 W\n1\n')).toThrow(/line 3: expected 2 cells/);
  });
});
