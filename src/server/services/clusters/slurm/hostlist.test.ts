import { describe, expect, it } from 'vitest';
import { expandHostList, gpusInGres, gpusInTres } from './hostlist';

describe('Slurm host lists', () => {
  it('expands ranges keeping zero padding, lists and plain names', () => {
    expect(expandHostList('gpu[01-03]')).toEqual(['gpu01', 'gpu02', 'gpu03']);
    expect(expandHostList('gpu[01,03],login1')).toEqual(['gpu01', 'gpu03', 'login1']);
    expect(expandHostList('r[1-2]n[08-09]')).toEqual(['r1n08', 'r1n09', 'r2n08', 'r2n09']);
    expect(expandHostList('gpu[08-11]')).toEqual(['gpu08', 'gpu09', 'gpu10', 'gpu11']);
    expect(expandHostList('')).toEqual([]);
    expect(expandHostList('(null)')).toEqual([]);
  });
  it('refuses malformed lists with the entry named', () => {
    expect(() => expandHostList('gpu[01-')).toThrow(/gpu\[01-/);
    expect(() => expandHostList('gpu[03-01]')).toThrow(/bad range/);
  });
});

describe('GPU counts in GRES and TRES strings', () => {
  it('reads the forms slurmrestd returns', () => {
    expect(gpusInGres('gpu:8')).toBe(8);
    expect(gpusInGres('gpu:h100:8(S:0-1)')).toBe(8);
    expect(gpusInGres('gpu:h100:4,gpu:a100:2')).toBe(6);
    expect(gpusInGres('gpu:4(IDX:0,2-4)')).toBe(4);
    expect(gpusInGres('gres:gpu:4')).toBe(4);
    expect(gpusInGres('gres/gpu:4')).toBe(4);
    expect(gpusInGres('gres/gpu=8')).toBe(8);
    expect(gpusInGres('mps:100,gpu:2')).toBe(2);
    expect(gpusInGres('N/A')).toBe(0);
    expect(gpusInGres('')).toBe(0);
    expect(gpusInTres('cpu=2,node=2,billing=2,gres/gpu=8,gres/gpu:h100=8')).toBe(8);
    expect(gpusInTres('cpu=2,mem=1000M')).toBe(0);
  });
});
