/**
 * Facility collectors: scrape-target dialects that speak a device protocol (SNMP, Redfish, Modbus TCP) instead of
 * fetching exposition text. They sit in the same `scrape_targets` registry, with the same scheduling, health and
 * unmapped handling as the HTTP dialects; the scraper hands a due target to its collector and ingests what it returns.
 *
 * A collector returns catalogue readings in the plenum dialect's form: `plenum_<catalogue metric>` with a `device`
 * label naming the facility object (UPS, PDU, rack PDU, cooling unit, meter) and, where the collector knows it, the
 * site slug in `site`, plus per-index labels (`outlet`, `phase`, `sensor`). So the mapping by device name that the
 * simulator's plenum text already uses applies unchanged; a reading of a metric outside the catalogue keeps its own
 * `plenum_` name and passes through.
 */
import type { z } from 'zod';
import type { RawSample } from '@/telemetry';
import type { TargetGuard } from '../target-guard';

export const COLLECTOR_DIALECTS = ['snmp', 'redfish', 'modbus'] as const;
export type CollectorDialect = (typeof COLLECTOR_DIALECTS)[number];

export function isCollectorDialect(dialect: string): dialect is CollectorDialect {
  return (COLLECTOR_DIALECTS as readonly string[]).includes(dialect);
}

export type CollectorTarget = {
  id: number;
  /** `snmp://host:161`, `https://bmc.example/redfish/v1`, `modbus://host:502`. */
  url: string;
  dialect: CollectorDialect;
  timeoutMs: number;
  /** Non-secret settings, validated by the collector's `optionsSchema` (profile or register map, SNMP version, unit id, …). */
  options: Record<string, unknown>;
  /** Secrets, validated by `credentialsSchema` (community, SNMPv3 keys, Redfish password): never returned by the API. */
  credentials: Record<string, unknown>;
  /** The facility object the target reads, when it reads one: every reading gets `device` (and `site`) from it. */
  facility: { name: string; siteSlug: string } | null;
};

export type CollectContext = {
  signal: AbortSignal;
  /** Null for the simulator's own targets (on loopback); otherwise every connection must pass it. */
  guard: TargetGuard | null;
  /** The readings' timestamp: the scrape's slot when it started on time (scrapeTimestampMs), else its start. */
  nowMs: number;
};

export interface Collector<Options = unknown, Credentials = unknown> {
  dialect: CollectorDialect;
  optionsSchema: z.ZodType<Options>;
  credentialsSchema: z.ZodType<Credentials>;
  /**
   * What tells apart two targets of this collector at the same URL reading the same facility object (an SNMP profile
   * and context, a Modbus unit id): part of the target's unique key. Options are already validated.
   */
  targetKey?(options: Options): string;
  /**
   * Reads the device once. Throws a `ScrapeError` (target-guard.ts) whose message is our own words (timeout, auth
   * refused, SNMP noSuchObject at an OID, Modbus exception code, HTTP status) and never device-supplied text.
   */
  collect(target: CollectorTarget, ctx: CollectContext): Promise<RawSample[]>;
}
