'use client';

import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/trpc/client';

/** "All zones" or a set of named zones: the scope of a user's or a token's grant. */
export function ZonePicker({ idPrefix, allZones, zoneIds, onChange }: { idPrefix: string; allZones: boolean; zoneIds: number[]; onChange: (value: { allZones: boolean; zoneIds: number[] }) => void }) {
  const trpc = useTRPC();
  const zones = useQuery(trpc.zones.list.queryOptions());
  return (
    <fieldset className="flex flex-col gap-1 text-sm">
      <legend className="font-medium text-slate-700">Zones</legend>
      <label className="flex items-center gap-2">
        <input type="checkbox" id={`${idPrefix}-all-zones`} checked={allZones} onChange={(e) => onChange({ allZones: e.target.checked, zoneIds })} />
        All zones
      </label>
      {!allZones &&
        (zones.data ?? []).map((zone) => (
          <label key={zone.id} className="flex items-center gap-2 pl-4">
            <input
              type="checkbox"
              checked={zoneIds.includes(zone.id)}
              onChange={(e) => onChange({ allZones, zoneIds: e.target.checked ? [...zoneIds, zone.id] : zoneIds.filter((id) => id !== zone.id) })}
            />
            {zone.name} <span className="text-xs text-slate-500">({zone.accessLevel})</span>
          </label>
        ))}
    </fieldset>
  );
}
