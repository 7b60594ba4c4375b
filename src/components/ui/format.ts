export { formatPct, formatPowerKw, formatPowerW, formatWeightKg } from '@/domain/units';

export function formatDateTime(value: string | Date): string {
  const date = typeof value === 'string' ? new Date(value) : value;
  return `${date.toISOString().replace('T', ' ').slice(0, 19)} UTC`;
}

/** Link to a CSV export carrying the list's filters; empty filters are left out. */
export function csvExportHref(file: string, filters: Record<string, string | undefined>): string {
  const params = new URLSearchParams(Object.entries(filters).filter((entry): entry is [string, string] => Boolean(entry[1])));
  return `/api/export/${file}?${params.toString()}`;
}
