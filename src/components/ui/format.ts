// The one formatter lives in src/domain/units.ts (shared with the CLI); UI code may import it from here or there.
export { formatDate, formatDateTime, formatPct, formatPowerKw, formatPowerW, formatTime, formatWeightKg } from '@/domain/units';

/** Link to a CSV export carrying the list's filters; empty filters are left out. */
export function csvExportHref(file: string, filters: Record<string, string | undefined>): string {
  const params = new URLSearchParams(Object.entries(filters).filter((entry): entry is [string, string] => Boolean(entry[1])));
  return `/api/export/${file}?${params.toString()}`;
}
