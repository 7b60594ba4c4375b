export { formatPct, formatPowerKw, formatPowerW, formatWeightKg } from '@/domain/units';

export function formatDateTime(value: string | Date): string {
  const date = typeof value === 'string' ? new Date(value) : value;
  return `${date.toISOString().replace('T', ' ').slice(0, 19)} UTC`;
}
