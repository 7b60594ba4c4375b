import type { FilterPlugin } from '../plugin';

/** A job may only run in a zone cleared at least to its required level (0 public ... 3 critical). */
export function zoneClearanceFilter(): FilterPlugin {
  return {
    name: 'ZoneClearance',
    filter: (state, node) => (node.zoneLevel >= state.pod.requiredZoneLevel ? null : 'zone-clearance'),
  };
}
