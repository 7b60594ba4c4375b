import { describe, expect, it } from 'vitest';
import { worldStepMs } from './simulator-host';

describe('worldStepMs', () => {
  it('steps the world at a sixth of the scrape interval, between 500 ms and the 5 s longest sub-step', () => {
    expect(worldStepMs(1_000)).toBe(500);
    expect(worldStepMs(3_000)).toBe(500);
    expect(worldStepMs(10_000)).toBe(1_667);
    expect(worldStepMs(30_000)).toBe(5_000);
    expect(worldStepMs(300_000)).toBe(5_000);
  });
});
