import { LoadBasisTag, LoadFigure } from '@/components/ui/LoadFigure';
import type { FacilityReconciliation as Reconciliation } from '@/domain/honest-numbers';

/**
 * "Utility feeds 654 kW measured + unmetered / losses 116 kW = facility load 770 kW measured": the facility load split
 * into what the utility-feed meters account for and the gap no meter in the chain sees, so the page adds up.
 */
export function FacilityReconciliation({ r }: { r: Reconciliation }) {
  if (r.facilityW === null && r.metersW === null) {
    return <p className="text-sm text-slate-500">No facility meter or utility-feed measurement yet.</p>;
  }
  return (
    <div className="text-sm" data-testid="facility-reconciliation">
      <p className="flex flex-wrap items-baseline gap-x-2">
        <span>Utility feeds</span>
        <LoadFigure basis="measured" powerW={r.metersW} testId="reconciliation-meters" />
        <span className="text-slate-400">+</span>
        <span>unmetered / losses</span>
        <span className="tabular font-medium text-slate-800" data-testid="reconciliation-unmetered">
          {r.unmeteredW === null ? '—' : <LoadFigure basis="measured" powerW={r.unmeteredW} showWord={false} />}
        </span>
        <span className="text-slate-400">=</span>
        <span>facility load</span>
        <LoadFigure basis="measured" powerW={r.facilityW} testId="reconciliation-facility" />
      </p>
      <p className="mt-1 flex flex-wrap gap-x-3 text-xs text-slate-500">
        {r.feeds.map((f) => (
          <span key={f.name}>
            {f.name}: <LoadFigure basis="measured" powerW={f.measuredW} showWord={false} />
          </span>
        ))}
        {r.feedsWithoutMeasurement > 0 ? <span>({r.feedsWithoutMeasurement} feed(s) without a measurement: inside the gap)</span> : null}
      </p>
      <p className="mt-1 text-xs text-slate-500">
        <LoadBasisTag basis="measured">measured</LoadBasisTag>: a feed reads its own meter, else the sum of the measured loads beneath it; the facility load is
        the site meter (IT + cooling + UPS and distribution losses + lighting). Unmetered / losses = facility load − utility feeds: cooling and building
        loads fed outside the chain, conversion and distribution losses.
      </p>
    </div>
  );
}
