/**
 * Floor plan geometry, shared by the hall floor plan and the thermal heatmap: a rack is one 36-unit tile wide and 1.5
 * deep at its row's grid origin + its position in the row. The drawing is cropped to the racks (plus room for the row
 * names) and scaled to the width available, never so small that a label drops under 11 px.
 */
export const TILE = 36;
export const RACK_DEPTH_TILES = 1.5;
/** Label size in drawing units; the scale keeps it at or above MIN_LABEL_PX on screen. */
export const LABEL_UNITS = 12;
export const MIN_LABEL_PX = 11;
export const MIN_SCALE = MIN_LABEL_PX / LABEL_UNITS;
/** A small hall is not blown up past this (labels of 36 px help no one). */
export const MAX_SCALE = 2.5;
/** Tiles left of a row for its name. */
const ROW_LABEL_TILES = 2;

export type PlacedRack = { gridX: number; gridY: number; rowName?: string | null };
export type Box = { x: number; y: number; width: number; height: number };

/** The drawing's viewBox in units: the racks and their row names with a margin, or the whole grid for an empty hall. */
export function floorViewBox(racks: PlacedRack[], columns: number, rows: number): Box {
  if (racks.length === 0) return { x: 0, y: 0, width: Math.max(1, columns) * TILE, height: Math.max(1, rows) * TILE };
  const minX = Math.min(...racks.map((r) => r.gridX)) - ROW_LABEL_TILES;
  const maxX = Math.max(...racks.map((r) => r.gridX)) + 1.5;
  const minY = Math.min(...racks.map((r) => r.gridY)) - 0.5;
  const maxY = Math.max(...racks.map((r) => r.gridY)) + RACK_DEPTH_TILES + 0.5;
  return { x: minX * TILE, y: minY * TILE, width: (maxX - minX) * TILE, height: (maxY - minY) * TILE };
}

/**
 * Screen px per drawing unit: fill the available width, but keep the drawing within `maxHeightPx` where that still
 * leaves labels legible, and never below MIN_SCALE (the page scrolls instead) or above MAX_SCALE.
 */
export function floorScale(box: Box, availableWidthPx: number, maxHeightPx: number): number {
  if (!(availableWidthPx > 0)) return MIN_SCALE;
  const fit = Math.min(availableWidthPx / box.width, maxHeightPx > 0 ? maxHeightPx / box.height : Number.POSITIVE_INFINITY, MAX_SCALE);
  return Math.max(MIN_SCALE, fit);
}

/** One label per row, left of its first rack, vertically centred on the rack depth. */
export function rowLabels(racks: PlacedRack[]): { name: string; x: number; y: number }[] {
  const rows = new Map<string, { x: number; y: number }>();
  for (const rack of racks) {
    if (!rack.rowName) continue;
    const seen = rows.get(rack.rowName);
    if (!seen || rack.gridX < seen.x) rows.set(rack.rowName, { x: rack.gridX, y: rack.gridY });
  }
  return [...rows].map(([name, at]) => ({ name, x: at.x * TILE - 6, y: at.y * TILE + (RACK_DEPTH_TILES * TILE) / 2 }));
}

/** The rack's short label: the part of its name after the row ("A1-07" → "07"). */
export const rackLabel = (name: string): string => name.split('-').at(-1) ?? name;
