import { describe, expect, it } from 'vitest';
import { GPU_TEMP_FILL, gpuTempTone, relativeLuminance, sequentialScale, viridis } from './colour-scale';

describe('viridis', () => {
  it('runs from dark violet to yellow, clamped at both ends', () => {
    expect(viridis(0)).toBe('#440154');
    expect(viridis(1)).toBe('#fde725');
    expect(viridis(-3)).toBe('#440154');
    expect(viridis(7)).toBe('#fde725');
    expect(viridis(Number.NaN)).toBe('#440154');
  });

  it('gets lighter at every step (a perceptual sequential scale, ordered in greyscale too)', () => {
    const steps = Array.from({ length: 41 }, (_, i) => relativeLuminance(viridis(i / 40)));
    for (let i = 1; i < steps.length; i++) expect(steps[i]).toBeGreaterThan(steps[i - 1]);
  });

  it('picks a text colour with at least 4.5:1 contrast on every fill', () => {
    const scale = sequentialScale(0, 100);
    for (let v = 0; v <= 100; v += 2.5) {
      const fill = relativeLuminance(scale.fill(v));
      const text = relativeLuminance(scale.text(v));
      const [light, dark] = fill > text ? [fill, text] : [text, fill];
      expect((light + 0.05) / (dark + 0.05), `value ${v}`).toBeGreaterThanOrEqual(4.5);
    }
  });
});

describe('GPU temperature colours', () => {
  it('shows 25-30 °C as normal, not as heat; warm from 70 °C; hot from 85 °C', () => {
    expect(gpuTempTone(25)).toBe('normal');
    expect(gpuTempTone(30)).toBe('normal');
    expect(gpuTempTone(69.9)).toBe('normal');
    expect(gpuTempTone(70)).toBe('warm');
    expect(gpuTempTone(85)).toBe('hot');
    expect(GPU_TEMP_FILL.normal).not.toBe(GPU_TEMP_FILL.hot);
  });
});
