import { describe, expect, it } from 'vitest';
import { partitionMilli, partitionModeProblem, partitionShape, SUPPORTED_PARTITION_MODES } from './amd-partitions';

describe('AMD partition modes', () => {
  it('splits an MI300X into 1/2/4/8 logical GPUs with their XCDs and memory', () => {
    expect(partitionShape('Instinct MI300X', 192, { compute: 'SPX', memory: 'NPS1' })).toEqual({ partitions: 1, xcdsPerPartition: 8, memoryGibPerPartition: 192, memoryDomains: 1 });
    expect(partitionShape('Instinct MI300X', 192, { compute: 'DPX', memory: 'NPS1' })).toMatchObject({ partitions: 2, xcdsPerPartition: 4, memoryGibPerPartition: 96 });
    expect(partitionShape('Instinct MI300X', 192, { compute: 'QPX', memory: 'NPS1' })).toMatchObject({ partitions: 4, xcdsPerPartition: 2, memoryGibPerPartition: 48 });
    expect(partitionShape('Instinct MI300X', 192, { compute: 'CPX', memory: 'NPS4' })).toEqual({ partitions: 8, xcdsPerPartition: 1, memoryGibPerPartition: 24, memoryDomains: 4 });
    expect(partitionShape('Instinct MI325X', 256, { compute: 'CPX', memory: 'NPS1' })).toMatchObject({ partitions: 8, memoryGibPerPartition: 32, memoryDomains: 1 });
  });

  it('gives each partition its physical share of the GPU', () => {
    expect([1, 2, 4, 8].map(partitionMilli)).toEqual([1000, 500, 250, 125]);
  });

  it('allows NPS4 only with CPX and names the field that is wrong', () => {
    expect(SUPPORTED_PARTITION_MODES).toHaveLength(5);
    expect(partitionModeProblem('Instinct MI300X', { compute: 'CPX', memory: 'NPS4' })).toBeNull();
    expect(partitionModeProblem('Instinct MI300X', { compute: 'SPX', memory: 'NPS4' })).toEqual({
      field: 'memoryPartition',
      reason: 'NPS4 is supported only with CPX compute partitioning, not SPX',
    });
    expect(partitionModeProblem('Instinct MI300X', { compute: 'TPX', memory: 'NPS1' })?.field).toBe('computePartition');
    expect(partitionModeProblem('Instinct MI300X', { compute: 'CPX', memory: 'NPS2' })?.field).toBe('memoryPartition');
    expect(partitionModeProblem('H100 SXM5 80GB', { compute: 'CPX', memory: 'NPS1' })?.reason).toMatch(/H100 SXM5 80GB has no compute or memory partitioning/);
    expect(() => partitionShape('Instinct MI300X', 192, { compute: 'QPX', memory: 'NPS4' })).toThrow(/memoryPartition: NPS4 is supported only with CPX/);
  });
});
