/**
 * Numbers that must add up on the page: who keeps the busy GPUs busy, and how the facility load splits into what the
 * utility-feed meters account for and what no meter in the chain sees. Pure.
 */

/** Who holds a GPU now: a running Plenum job, an external job a connected engine reports, or nobody. */
export type GpuHolder = 'plenum' | 'external' | null;

/** Busy GPUs split by who keeps them busy. The three parts always sum to `busy`. */
export type BusyAttribution = {
  busy: number;
  /** Busy and held by a running or scheduled Plenum job. */
  byPlenumJobs: number;
  /** Busy and held by an external job (a Slurm job or Kubernetes pod from a connected cluster). */
  byExternalJobs: number;
  /** Busy by telemetry with no allocation at all: load Plenum does not manage (or the simulator's background load). */
  unmanaged: number;
};

/**
 * Splits busy GPUs by holder. A GPU shared by a Plenum and an external job counts as Plenum's (Plenum placed work on it).
 */
export function attributeBusyGpus(gpus: Iterable<{ busy: boolean; holder: GpuHolder }>): BusyAttribution {
  const out: BusyAttribution = { busy: 0, byPlenumJobs: 0, byExternalJobs: 0, unmanaged: 0 };
  for (const gpu of gpus) {
    if (!gpu.busy) continue;
    out.busy++;
    if (gpu.holder === 'plenum') out.byPlenumJobs++;
    else if (gpu.holder === 'external') out.byExternalJobs++;
    else out.unmanaged++;
  }
  return out;
}

/** The holder of one GPU from the origins of the jobs holding it (any Plenum job wins). */
export function holderOf(origins: Iterable<'plenum' | 'external'>): GpuHolder {
  let holder: GpuHolder = null;
  for (const origin of origins) {
    if (origin === 'plenum') return 'plenum';
    holder = 'external';
  }
  return holder;
}

/** "552 busy: 0 by Plenum jobs, 552 unmanaged" (external jobs named only when there are some). */
export function formatBusyAttribution(a: BusyAttribution): string {
  const parts = [`${a.byPlenumJobs} by Plenum jobs`];
  if (a.byExternalJobs > 0) parts.push(`${a.byExternalJobs} by external jobs`);
  parts.push(`${a.unmanaged} unmanaged`);
  return `${a.busy} busy: ${parts.join(', ')}`;
}

/**
 * Facility load against the utility-feed meters. `facilityW` is the site's facility load (IT + cooling + UPS losses +
 * lighting + distribution losses, from the site meter); each feed's `measuredW` is what the chain measures at that feed
 * (its own meter when it has one, else the sum of the measured loads beneath it). The gap is everything the feeds do not
 * account for (cooling and building loads fed outside the chain, conversion and distribution losses): shown as
 * "unmetered / losses", so metersW + gapW = facilityW exactly. Null parts when a side has no measurement.
 */
export type FacilityReconciliation = {
  facilityW: number | null;
  /** Σ utility-feed measurements; null when no feed has one. */
  metersW: number | null;
  /** facilityW − metersW (negative when the feeds read more than the site meter); null when either side is missing. */
  unmeteredW: number | null;
  feeds: { name: string; measuredW: number | null }[];
  /** Feeds without any measurement: their share is inside the gap. */
  feedsWithoutMeasurement: number;
};

export function reconcileFacility(facilityW: number | null, feeds: { name: string; measuredW: number | null }[]): FacilityReconciliation {
  const measured = feeds.filter((f) => f.measuredW !== null);
  const metersW = measured.length > 0 ? measured.reduce((sum, f) => sum + f.measuredW!, 0) : null;
  return {
    facilityW,
    metersW,
    unmeteredW: facilityW !== null && metersW !== null ? facilityW - metersW : null,
    feeds,
    feedsWithoutMeasurement: feeds.length - measured.length,
  };
}
