import { describe, expect, it } from 'vitest';
import { defaultWorkerResources } from './defaults';

describe('CPU and memory a job gets when it names none', () => {
  it("is the GPUs' share of an 8-GPU server (224 cores, 2 TiB): 28 cores and 256 GiB per GPU", () => {
    expect(defaultWorkerResources([8], 8, 0)).toEqual({ cpuMilli: 224_000, memoryMib: 2_097_152 });
    expect(defaultWorkerResources([8], 1, 0)).toEqual({ cpuMilli: 28_000, memoryMib: 262_144 });
  });

  it('takes the least share among the servers it could land on, so it fits on every one', () => {
    // A 4-GPU tray (144 cores, 960 GiB) offers 36 cores but only 240 GiB per GPU.
    expect(defaultWorkerResources([8, 4], 1, 0)).toEqual({ cpuMilli: 28_000, memoryMib: 245_760 });
  });

  it('gives a GPU share its fraction, and assumes an 8-GPU server when the inventory has none', () => {
    expect(defaultWorkerResources([8], 1, 250)).toEqual({ cpuMilli: 7_000, memoryMib: 65_536 });
    expect(defaultWorkerResources([], 2, 0)).toEqual({ cpuMilli: 56_000, memoryMib: 524_288 });
  });
});
