/**
 * Alert triage, pure: the order an operator works through alerts in, grouping by cause (a failed cooling unit explains
 * the inlet and outlet alerts of the racks it serves), and the runbook text for each rule.
 */

export type TriageAlert = {
  id: number;
  rule: string;
  metric: string | null;
  severity: 'warning' | 'critical';
  state: 'firing' | 'acknowledged' | 'resolved';
  startedAt: Date | string;
  entityLabel: string;
  rackId: number | null;
  coolingUnitId: number | null;
};

/** The metric a "cooling unit failed" alert watches, and the rack temperatures such a failure explains. */
export const COOLING_FAILURE_METRIC = 'plenum_cooling_unit_running';
export const COOLING_SYMPTOM_METRICS: ReadonlySet<string> = new Set(['rack_inlet_temp_c', 'rack_outlet_temp_c']);

const SEVERITY_RANK = { critical: 0, warning: 1 } as const;
const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** Names as people sort them: A-2 before A-10, "crah 3" before "CRAH 12". */
export function naturalCompare(a: string, b: string): number {
  return collator.compare(a, b);
}

const time = (value: Date | string) => new Date(value).getTime();

/** Open before resolved; critical before warning; then the oldest first (it has waited longest); then by name. */
export function compareAlerts(a: TriageAlert, b: TriageAlert): number {
  return (
    Number(a.state === 'resolved') - Number(b.state === 'resolved') ||
    SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
    time(a.startedAt) - time(b.startedAt) ||
    naturalCompare(a.entityLabel, b.entityLabel) ||
    a.id - b.id
  );
}

export type AlertGroup<T extends TriageAlert> = { alert: T; explained: T[] };

/**
 * Groups open alerts by cause: each open cooling-unit failure takes the open rack temperature alerts of the racks that
 * unit serves (`racksServed`: unit id → rack ids); a rack served by several failed units goes with the first in triage
 * order. Everything else stands alone. Groups are in triage order (by their head), and so is each group's list.
 */
export function groupByCause<T extends TriageAlert>(alerts: readonly T[], racksServed: ReadonlyMap<number, ReadonlySet<number>>): AlertGroup<T>[] {
  const sorted = [...alerts].sort(compareAlerts);
  const causes = sorted.filter((a) => a.state !== 'resolved' && a.metric === COOLING_FAILURE_METRIC && a.coolingUnitId !== null);
  const groups = new Map<number, AlertGroup<T>>(causes.map((cause) => [cause.id, { alert: cause, explained: [] }]));
  const result: AlertGroup<T>[] = [];
  for (const alert of sorted) {
    const group = groups.get(alert.id);
    if (group) {
      result.push(group);
      continue;
    }
    const explainedBy =
      alert.state !== 'resolved' && alert.metric !== null && COOLING_SYMPTOM_METRICS.has(alert.metric) && alert.rackId !== null
        ? causes.find((cause) => racksServed.get(cause.coolingUnitId!)?.has(alert.rackId!))
        : undefined;
    if (explainedBy) groups.get(explainedBy.id)!.explained.push(alert);
    else result.push({ alert, explained: [] });
  }
  return result;
}

/** What to do, per default rule (by the metric or kind it watches). */
const RUNBOOKS: Record<string, string> = {
  rack_inlet_temp_c:
    'Check the cooling units serving the rack (a failed or degraded unit explains most inlet alarms), blanking panels and floor tiles in the cold aisle, and hot-air recirculation over the top of the row. Above 32 °C, move or throttle the hottest jobs in the rack.',
  gpu_temp_c:
    'Compare with the rack inlet: a hot inlet points at cooling; a normal inlet points at the server (fans, airflow, dust) or the GPU itself. Drain the node if the GPU keeps rising, and open a hardware ticket if it recurs.',
  gpu_xid_last:
    'Look the XID code up (NVIDIA XID catalogue): 48/63/64/94/95 are memory errors (check row remapping), 79 means the GPU fell off the bus. Drain the node, let the scheduler requeue its jobs, and reset or replace the GPU.',
  'rack-power-budget':
    'The rack draws more than 90 % of its budget. Check what was added or started recently (the rack change log and its jobs), and move or cap load before a feed trips; with A/B feeds, one side must be able to carry it all.',
  ups_on_battery:
    'Utility power is lost or out of tolerance. Confirm the generators started and picked up the load; if they have not, start shedding non-critical load before the UPS runtime runs out.',
  [COOLING_FAILURE_METRIC]:
    'Confirm the unit is down (alarm panel, BMS), check that the remaining units of its redundancy group took the load, and call maintenance. The inlet alerts grouped under it are its effect; watch them rather than acknowledging each.',
  'target-down':
    'Plenum cannot scrape this exporter. Check that the host is up, the exporter process runs and its port is reachable from Plenum; its GPUs show no live data until it is back.',
};

export function runbookFor(rule: { metric: string | null; kind: string; description: string }): string {
  return RUNBOOKS[rule.metric ?? ''] ?? RUNBOOKS[rule.kind] ?? rule.description;
}
