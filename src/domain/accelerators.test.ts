import { describe, expect, it } from 'vitest';
import { ACCELERATORS, acceleratorById, matchAccelerator } from './accelerators';

describe('accelerator catalogue', () => {
  it('carries the reference figures', () => {
    expect(acceleratorById('h100-sxm')).toMatchObject({ tdpW: 700, minPowerLimitW: 200, reportedMemoryMib: 81_559 });
    expect(acceleratorById('h100-sxm')!.memoryGib).toBeCloseTo(79.65, 2);
    expect(acceleratorById('h200-sxm')!.memoryGib).toBeCloseTo(140.4, 1);
    expect(acceleratorById('gb200')).toMatchObject({ tdpW: 1_200, cooling: 'liquid', nvlinkDomainSize: 72 });
    expect(acceleratorById('mi300x')).toMatchObject({ memoryGib: 192, tdpW: 750, formFactor: 'OAM' });
    expect(acceleratorById('l40s')).toMatchObject({ memoryGib: 48, tdpW: 350, formFactor: 'PCIe' });
    expect(acceleratorById('b200')!.tdpW).toBe(1_000);
    expect(acceleratorById('tpu-v5p')!.tdpW).toBeNull();
    expect(new Set(ACCELERATORS.map((a) => a.id)).size).toBe(ACCELERATORS.length);
  });

  it('matches telemetry names and free text', () => {
    expect(matchAccelerator('NVIDIA H100 80GB HBM3')?.id).toBe('h100-sxm');
    expect(matchAccelerator('NVIDIA H200')?.id).toBe('h200-sxm');
    expect(matchAccelerator('8x NVIDIA GB200 superchips')?.id).toBe('gb200');
    expect(matchAccelerator('HGX B200')?.id).toBe('b200');
    expect(matchAccelerator('SXM5')).toBeUndefined();
  });
});
