import { describe, expect, it } from 'vitest';
import { DEMO_SCALE, gpuCount, LARGE_SCALE, seededGpuUuid, seedTenants } from './plan';

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

describe('seed tenants', () => {
  it('give each seeded site tenants with quotas in whole servers, within its GPUs', () => {
    for (const scale of [DEMO_SCALE, LARGE_SCALE]) {
      const tenants = seedTenants(scale);
      expect(tenants.map((t) => t.name)).toEqual(['research', 'serving', 'secure-cage']);
      for (const tenant of tenants) {
        expect(tenant.gpuQuota % 8).toBe(0);
        expect(tenant.gpuQuota).toBeGreaterThan(0);
      }
      expect(tenants.reduce((sum, t) => sum + t.gpuQuota, 0)).toBeLessThanOrEqual(gpuCount(scale));
    }
    expect(seedTenants(DEMO_SCALE)[0]!.gpuQuota).toBe(352);
  });
});
