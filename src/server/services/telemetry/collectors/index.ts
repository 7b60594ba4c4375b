/**
 * The facility collectors by dialect. One line per protocol: a `scrape_targets` row whose dialect is listed here is
 * read by its collector instead of fetched as exposition text (scraper.ts), and its options / credentials are
 * validated by the collector's schemas when the target is added (api/routers/telemetry.ts).
 */
import { snmpCollector } from './snmp';
import type { Collector, CollectorDialect } from './types';

export const COLLECTORS: Partial<Record<CollectorDialect, Collector>> = {
  snmp: snmpCollector as Collector,
};

/** The collector of a dialect, or undefined for HTTP dialects and for collectors not built into this version. */
export function collectorFor(dialect: string): Collector | undefined {
  return COLLECTORS[dialect as CollectorDialect];
}
