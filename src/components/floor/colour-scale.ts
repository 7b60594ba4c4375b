/**
 * Colours for the heatmaps, computed in code. Sequential data (utilisation, temperature) uses viridis: perceptually
 * uniform, readable in greyscale and by the common colour-vision deficiencies (anchors from matplotlib's viridis,
 * van der Walt & Smith, CC0). Categorical states keep their own colours.
 */
import { GPU_HOT_C, GPU_WARM_C } from '@/domain/cooling';

const VIRIDIS = ['#440154', '#472d7b', '#3b528b', '#2c728e', '#21918c', '#28ae80', '#5ec962', '#addc30', '#fde725'];

const channels = (hex: string) => [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
const hex = (rgb: number[]) => `#${rgb.map((c) => Math.round(c).toString(16).padStart(2, '0')).join('')}`;

/** Viridis at t in [0, 1] (clamped), linearly between its anchors. */
export function viridis(t: number): string {
  const clamped = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
  const position = clamped * (VIRIDIS.length - 1);
  const low = Math.floor(position);
  const high = Math.min(VIRIDIS.length - 1, low + 1);
  const a = channels(VIRIDIS[low]);
  const b = channels(VIRIDIS[high]);
  const f = position - low;
  return hex(a.map((c, i) => c + (b[i] - c) * f));
}

/** A sequential scale over [min, max]: the fill for a value, and a text colour that stays readable on it. */
export function sequentialScale(min: number, max: number) {
  const t = (value: number) => (value - min) / (max - min);
  return {
    min,
    max,
    fill: (value: number) => viridis(t(value)),
    /** White or black, whichever contrasts more with the fill. */
    text: (value: number) => readableText(viridis(t(value))),
    /** CSS gradient for the legend bar. */
    gradient: `linear-gradient(to right, ${VIRIDIS.join(', ')})`,
  };
}

/** The relative luminance of a #rrggbb colour (WCAG 2), for tests of the scale's order and of text contrast. */
export function relativeLuminance(colour: string): number {
  const [r, g, b] = channels(colour).map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

const contrast = (a: number, b: number) => (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);

/** White or black text, whichever contrasts more with `fill` (black: mid-viridis teal is too light for white). */
export function readableText(fill: string): string {
  const l = relativeLuminance(fill);
  return contrast(l, 1) >= contrast(l, 0) ? '#ffffff' : '#000000';
}

export type GpuTempTone = 'normal' | 'warm' | 'hot';

/** A GPU temperature against the part's operating range: normal below 70 °C, warm up to the 85 °C hot-spot threshold. */
export function gpuTempTone(tempC: number): GpuTempTone {
  return tempC >= GPU_HOT_C ? 'hot' : tempC >= GPU_WARM_C ? 'warm' : 'normal';
}

export const GPU_TEMP_FILL: Record<GpuTempTone, string> = { normal: '#0f766e', warm: '#d97706', hot: '#dc2626' };
