/**
 * End-to-end test of the NVML exporter against a stub libnvidia-ml.so.1 compiled from test/stub.c, read back through
 * Plenum's own exposition parser and dcgm dialect.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapDcgm } from '../../src/telemetry/dialects/dcgm';
import { parseExposition } from '../../src/telemetry/exposition';
import type { CanonicalSample } from '../../src/telemetry/samples';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const stubSource = fileURLToPath(new URL('./test/stub.c', import.meta.url));
const main = 'exporters/nvml/main.ts';

let dir: string;
let lib: string;

function startExporter(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', main, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs the exporter to completion (for the failure paths). */
function runToExit(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = startExporter(args, env);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => (stdout += d));
    child.stderr?.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts the exporter on a free port (--port 0) and resolves with its base URL once it says it listens. */
function startAndWait(args: string[]): Promise<{ child: ChildProcess; base: string }> {
  return new Promise((resolve, reject) => {
    const child = startExporter(['--port', '0', '--listen', '127.0.0.1', ...args]);
    let out = '';
    let err = '';
    child.stderr?.on('data', (d) => (err += d));
    child.stdout?.on('data', (d) => {
      out += d;
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(out);
      if (m) resolve({ child, base: `http://127.0.0.1:${m[1]}` });
    });
    child.on('exit', (code) => reject(new Error(`exporter exited (${code}) before listening: ${err}`)));
  });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'plenum-nvml-stub-'));
  lib = join(dir, 'libnvidia-ml.so.1');
  execFileSync('gcc', ['-shared', '-fPIC', '-O1', '-o', lib, stubSource]);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('NVML exporter on a stub libnvidia-ml', () => {
  let child: ChildProcess;
  let base: string;
  beforeAll(async () => {
    ({ child, base } = await startAndWait(['--lib', lib, '--hostname', 'gpu-node-3']));
  });
  afterAll(() => {
    child?.kill('SIGTERM');
  });

  it('serves dcgm-exporter /metrics that our parser and dcgm dialect read back with the stub values in our units', async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    const parsed = parseExposition(text);
    expect(parsed.families.get('DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION')?.type).toBe('counter');

    // Exactly dcgm-exporter's label set, in its order.
    const first = parsed.samples.find((s) => s.name === 'DCGM_FI_DEV_POWER_USAGE')!;
    expect(Object.keys(first.labels)).toEqual(['gpu', 'UUID', 'pci_bus_id', 'device', 'modelName', 'Hostname', 'DCGM_FI_DRIVER_VERSION']);

    const { samples, stats } = mapDcgm(parsed.samples);
    expect(stats.passedThrough).toBe(0);
    expect(stats.droppedSentinel).toBe(0);
    const get = (metric: string, gpu: number): CanonicalSample | undefined =>
      samples.find((s) => s.metric === metric && s.gpuIndex === gpu);

    const h100 = (m: string) => get(m, 0)?.value;
    expect(get('gpu_power_w', 0)).toMatchObject({
      unit: 'W',
      value: 69.85, // 69850 mW
      gpuUuid: 'GPU-11111111-2222-3333-4444-555555555550',
      hostname: 'gpu-node-3',
      labels: { pci_bus_id: '00000000:1A:00.0', device: 'nvidia0', modelName: 'NVIDIA H100 80GB HBM3', DCGM_FI_DRIVER_VERSION: '580.159.04' },
    });
    expect(h100('gpu_power_limit_w')).toBe(700); // 700000 mW
    expect(h100('gpu_energy_mj')).toBe(2687044);
    expect(h100('gpu_temp_c')).toBe(41);
    expect(h100('gpu_mem_temp_c')).toBe(48); // via nvmlDeviceGetFieldValues(NVML_FI_DEV_MEMORY_TEMP)
    expect(h100('gpu_util_pct')).toBe(0);
    expect(h100('gpu_fb_used_bytes')).toBe(19818 * 1048576); // MiB on the wire, bytes in Plenum
    expect(h100('gpu_fb_reserved_bytes')).toBe(479 * 1048576);
    expect(h100('gpu_fb_free_bytes')).toBe((81920 - 479 - 19818) * 1048576);
    expect(h100('gpu_sm_clock_mhz')).toBe(1980);
    expect(h100('gpu_mem_clock_mhz')).toBe(2619);
    expect(h100('gpu_clock_event_reasons')).toBe(4); // SW power cap
    expect(h100('gpu_xid_last')).toBe(0);

    const h200 = (m: string) => get(m, 1)?.value;
    expect(get('gpu_power_w', 1)?.gpuUuid).toBe('GPU-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeee1');
    expect(h200('gpu_power_w')).toBe(631.95);
    expect(h200('gpu_util_pct')).toBe(100);
    expect(h200('gpu_mem_copy_util_pct')).toBe(11);
    expect(h200('gpu_sm_clock_mhz')).toBe(1455);
    expect(h200('gpu_xid_last')).toBe(79); // the stub's pending XID event
    // NOT_SUPPORTED on GPU 1: the metric is simply absent.
    expect(get('gpu_energy_mj', 1)).toBeUndefined();
    expect(get('gpu_mem_temp_c', 1)).toBeUndefined();
    // nvmlDeviceGetMemoryInfo_v2 unsupported: v1 fallback, no reserved figure.
    expect(h200('gpu_fb_used_bytes')).toBe(1024 * 1048576);
    expect(h200('gpu_fb_free_bytes')).toBe((143771 - 1024) * 1048576);
    expect(get('gpu_fb_reserved_bytes', 1)).toBeUndefined();
  });

  it('serves /health and 404s elsewhere', async () => {
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', gpus: 2, driverVersion: '580.159.04', lastScrapeErrors: 0 });
    const other = await fetch(`${base}/nope`);
    expect(other.status).toBe(404);
    await other.text();
  });
});

describe('NVML exporter failure paths', () => {
  it('exits non-zero with one clear line when the library is absent', async () => {
    const { code, stdout, stderr } = await runToExit(['--port', '0', '--lib', join(dir, 'missing', 'libnvidia-ml.so.1')]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^nvml-exporter: NVML unavailable: cannot load .*libnvidia-ml\.so\.1/);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('honours NVML_LIB_PATH and reports an nvmlInit_v2 failure by name', async () => {
    const { code, stderr } = await runToExit(['--port', '0'], { NVML_LIB_PATH: lib, STUB_NVML_INIT_RESULT: '9' });
    expect(code).toBe(2);
    expect(stderr.trim()).toBe('nvml-exporter: NVML unavailable: nvmlInit_v2 failed: Driver Not Loaded (9)');
  });

  it('rejects bad arguments with a usage error', async () => {
    const { code, stderr } = await runToExit(['--port', 'abc']);
    expect(code).toBe(64);
    expect(stderr.trim()).toBe('nvml-exporter: --port must be an integer 0-65535');
  });
});
