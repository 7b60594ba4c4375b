import { describe, expect, it } from 'vitest';
import { attributeBusyGpus, formatBusyAttribution, holderOf, reconcileFacility } from './honest-numbers';

describe('busy GPUs by who keeps them busy', () => {
  it('552 of 672 busy with no job running: all 552 unmanaged', () => {
    const gpus = Array.from({ length: 672 }, (_, i) => ({ busy: i < 552, holder: null }));
    const a = attributeBusyGpus(gpus);
    expect(a).toEqual({ busy: 552, byPlenumJobs: 0, byExternalJobs: 0, unmanaged: 552 });
    expect(formatBusyAttribution(a)).toBe('552 busy: 0 by Plenum jobs, 552 unmanaged');
  });

  it('splits busy GPUs into Plenum, external and unmanaged; idle held GPUs count nowhere', () => {
    const a = attributeBusyGpus([
      { busy: true, holder: 'plenum' },
      { busy: true, holder: 'plenum' },
      { busy: true, holder: 'external' },
      { busy: true, holder: null },
      { busy: false, holder: 'plenum' },
      { busy: false, holder: null },
    ]);
    expect(a).toEqual({ busy: 4, byPlenumJobs: 2, byExternalJobs: 1, unmanaged: 1 });
    expect(a.byPlenumJobs + a.byExternalJobs + a.unmanaged).toBe(a.busy);
    expect(formatBusyAttribution(a)).toBe('4 busy: 2 by Plenum jobs, 1 by external jobs, 1 unmanaged');
  });

  it('a GPU shared by a Plenum and an external job is Plenum’s; no job is no holder', () => {
    expect(holderOf(['external', 'plenum'])).toBe('plenum');
    expect(holderOf(['external'])).toBe('external');
    expect(holderOf([])).toBeNull();
  });
});

describe('facility load against the utility-feed meters', () => {
  it('770 kW facility, feeds reading 325 + 329 kW: 116 kW unmetered / losses, and the parts add up', () => {
    const r = reconcileFacility(770_000, [
      { name: 'Utility A', measuredW: 325_000 },
      { name: 'Utility B', measuredW: 329_000 },
    ]);
    expect(r.metersW).toBe(654_000);
    expect(r.unmeteredW).toBe(116_000);
    expect(r.metersW! + r.unmeteredW!).toBe(r.facilityW);
    expect(r.feedsWithoutMeasurement).toBe(0);
  });

  it('a feed without a measurement is inside the gap and counted; no measurement at all gives no gap', () => {
    const partial = reconcileFacility(500_000, [
      { name: 'Utility A', measuredW: 200_000 },
      { name: 'Utility B', measuredW: null },
    ]);
    expect(partial).toMatchObject({ metersW: 200_000, unmeteredW: 300_000, feedsWithoutMeasurement: 1 });
    expect(reconcileFacility(500_000, [{ name: 'Utility A', measuredW: null }]).unmeteredW).toBeNull();
    expect(reconcileFacility(null, [{ name: 'Utility A', measuredW: 1 }]).unmeteredW).toBeNull();
  });

  it('feeds reading more than the site meter give a negative gap, not a hidden one', () => {
    expect(reconcileFacility(100_000, [{ name: 'U', measuredW: 110_000 }]).unmeteredW).toBe(-10_000);
  });
});
