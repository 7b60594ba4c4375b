import { describe, expect, it } from 'vitest';
import { DEMO_SCALE, gpuCount, LARGE_SCALE, seededGpuUuid } from './plan';

describe('seed scales', () => {
  it('the demo site has between 256 and 1,024 GPUs; the large one at least 8,192', () => {
    expect(gpuCount(DEMO_SCALE)).toBeGreaterThanOrEqual(256);
    expect(gpuCount(DEMO_SCALE)).toBeLessThanOrEqual(1024);
    expect(gpuCount(LARGE_SCALE)).toBeGreaterThanOrEqual(8192);
  });

  it('GPU UUIDs are unique and in NVIDIA form', () => {
    expect(seededGpuUuid(1)).toMatch(/^GPU-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(seededGpuUuid(1)).not.toBe(seededGpuUuid(2));
  });
});
