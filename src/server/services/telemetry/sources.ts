/**
 * One reading per physical quantity. The same GPU can reach Plenum twice: scraped by Plenum and remote-written by the
 * site's Prometheus (with its own `job` / `instance` / external labels). Both series map to the same inventory entity
 * and metric, so they measure one quantity; aggregations must take one of them, never their sum.
 *
 * A quantity is (metric, mapped entity, the few labels that subdivide a quantity within one entity: rack inlet
 * `sensor`, PDU `outlet` / `phase` / `branch` / `circuit`, coolant `connector`, power supply `psu`, MIG instance). Every other label (job, instance, hostname, pod, external labels)
 * says where a reading came from, not what it measures. Unmapped series are each their own quantity.
 *
 * Which series wins, among fresh ones: the higher source preference, then the newer sample, then the older series.
 * Preferences: a Plenum scrape target's own `preference` (default 100, settable per target), remote-write
 * PLENUM_REMOTE_WRITE_PREFERENCE (default 50), anything else 0.
 */

/** Labels that name a different quantity of the same entity (everything else names the source). */
export const QUANTITY_LABELS = ['sensor', 'outlet', 'phase', 'branch', 'circuit', 'connector', 'psu', 'GPU_I_ID', 'GPU_CI_ID', 'link'] as const;

export const DEFAULT_TARGET_PREFERENCE = 100;
export const DEFAULT_REMOTE_WRITE_PREFERENCE = 50;
export const OTHER_SOURCE_PREFERENCE = 0;

/** Remote-write's preference from the environment (0-1000). */
export function remoteWritePreference(env: Record<string, string | undefined> = process.env): number {
  const raw = env.PLENUM_REMOTE_WRITE_PREFERENCE;
  if (raw === undefined || raw === '') return DEFAULT_REMOTE_WRITE_PREFERENCE;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 1000) throw new Error(`PLENUM_REMOTE_WRITE_PREFERENCE: must be an integer 0-1000, got "${raw}"`);
  return value;
}

/**
 * SQL for a series' source preference; needs `s` (telemetry_series) and `t` (scrape_targets LEFT JOINed on
 * s.target_id), and the remote-write preference as the parameter `$n` given.
 */
export function preferenceSql(param: string): string {
  return `(CASE s.source WHEN 'scrape' THEN coalesce(t.preference, ${DEFAULT_TARGET_PREFERENCE}) WHEN 'remote-write' THEN ${param}::int ELSE ${OTHER_SOURCE_PREFERENCE} END)`;
}

/** The columns of a series (`s`) that say what it measures, with its source preference (`t` LEFT JOINed): SQL for them. */
export function quantityColumnsSql(preferenceParam: string): string {
  return `s.entity_kind, s.accelerator_id, s.device_id, s.rack_id, s.power_node_id, s.cooling_unit_id, s.site_id, s.quantity_labels AS labels,
    ${preferenceSql(preferenceParam)} AS preference`;
}

/** A row holding `quantityColumnsSql`. */
export type QuantityRow = {
  entity_kind: string;
  accelerator_id: number | null;
  device_id: number | null;
  rack_id: number | null;
  power_node_id: number | null;
  cooling_unit_id: number | null;
  site_id: number | null;
  labels: Record<string, string>;
  preference: number;
};

/** The quantity fields (and preference) of a series row read with `quantityColumnsSql`. */
export function quantityFieldsOf(seriesId: number, metric: string, r: QuantityRow): QuantityFields & { preference: number } {
  return {
    seriesId,
    metric,
    entityKind: r.entity_kind,
    acceleratorId: r.accelerator_id,
    deviceId: r.device_id,
    rackId: r.rack_id,
    powerNodeId: r.power_node_id,
    coolingUnitId: r.cooling_unit_id,
    siteId: r.site_id,
    labels: r.labels,
    preference: r.preference,
  };
}

export type QuantityFields = {
  seriesId: number;
  metric: string;
  entityKind: string;
  acceleratorId: number | null;
  deviceId: number | null;
  rackId: number | null;
  powerNodeId: number | null;
  coolingUnitId: number | null;
  siteId: number | null;
  labels: Record<string, string>;
};

function entityOf(r: QuantityFields): number | null {
  switch (r.entityKind) {
    case 'gpu':
      return r.acceleratorId;
    case 'device':
      return r.deviceId;
    case 'rack':
      return r.rackId;
    case 'power-node':
      return r.powerNodeId;
    case 'cooling-unit':
      return r.coolingUnitId;
    case 'site':
      return r.siteId;
    default:
      return null;
  }
}

/** The physical quantity a series measures (see the module comment). */
export function quantityKey(r: QuantityFields): string {
  const entity = entityOf(r);
  if (entity === null) return `series:${r.seriesId}`;
  let key = `${r.metric}|${r.entityKind}:${entity}`;
  for (const name of QUANTITY_LABELS) {
    const v = r.labels[name];
    if (v !== undefined) key += `|${name}=${v}`;
  }
  return key;
}

/**
 * SQL twin of {@link quantityKey} for one metric, as a list of expressions over `s` (telemetry_series) for DISTINCT ON:
 * the mapped entity and its quantity labels (`quantity_labels` holds exactly QUANTITY_LABELS, migration 0024), or the
 * series itself when it maps to no entity.
 */
export function quantityKeySql(): string {
  const entity = `(CASE s.entity_kind WHEN 'gpu' THEN s.accelerator_id WHEN 'device' THEN s.device_id WHEN 'rack' THEN s.rack_id
    WHEN 'power-node' THEN s.power_node_id WHEN 'cooling-unit' THEN s.cooling_unit_id WHEN 'site' THEN s.site_id END)`;
  return `s.entity_kind, ${entity}, s.quantity_labels, CASE WHEN ${entity} IS NULL THEN s.id END`;
}

/** Keeps one reading per quantity: the most preferred source, then the freshest sample, then the lowest series id. */
export function onePerQuantity<R extends QuantityFields & { preference: number; tMs: number }>(readings: readonly R[]): R[] {
  const best = new Map<string, R>();
  for (const r of readings) {
    const key = quantityKey(r);
    const held = best.get(key);
    if (held === undefined || beats(r, held)) best.set(key, r);
  }
  return [...best.values()];
}

function beats(a: { preference: number; tMs: number; seriesId: number }, b: { preference: number; tMs: number; seriesId: number }): boolean {
  if (a.preference !== b.preference) return a.preference > b.preference;
  if (a.tMs !== b.tMs) return a.tMs > b.tMs;
  return a.seriesId < b.seriesId;
}
