/** "4×4×8" for a 3D shape, "8×8" for a 2D one. */
export function shapeText(dims: readonly number[], torus: '2d' | '3d'): string {
  return (torus === '2d' ? dims.slice(0, 2) : dims).join('×');
}

/** A stable, distinct fill per slice id (golden-angle hues). */
export function sliceColour(sliceId: number): string {
  return `hsl(${(sliceId * 137.508) % 360} 65% 55%)`;
}
