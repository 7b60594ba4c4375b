import type { ReactNode } from 'react';
import { formatPowerW } from '@/domain/units';

/**
 * What a power or cooling figure is, shown the same way on every page: measured (live telemetry) first, then the
 * planned figures (allocated, nameplate, design), then the limit (budget, capacity). Each has one colour and one word.
 */
export type LoadBasis = 'measured' | 'allocated' | 'nameplate' | 'design' | 'budget' | 'capacity';

export const LOAD_BASIS_ORDER: LoadBasis[] = ['measured', 'allocated', 'nameplate', 'design', 'budget', 'capacity'];

const STYLE: Record<LoadBasis, { word: string; title: string; text: string; dot: string }> = {
  measured: { word: 'measured', title: 'Measured: live telemetry', text: 'text-sky-800', dot: 'bg-sky-600' },
  allocated: { word: 'allocated', title: 'Allocated (planned): the power set aside for the devices', text: 'text-violet-800', dot: 'bg-violet-600' },
  nameplate: { word: 'nameplate', title: 'Nameplate (planned): the rated maximum of the devices', text: 'text-violet-800', dot: 'bg-violet-400' },
  design: { word: 'design', title: 'Design (planned): the load the space was designed for', text: 'text-violet-800', dot: 'bg-violet-300' },
  budget: { word: 'budget', title: 'Budget: the limit set for this rack or hall', text: 'text-slate-700', dot: 'bg-slate-500' },
  capacity: { word: 'capacity', title: 'Capacity: what the equipment can deliver or remove', text: 'text-slate-700', dot: 'bg-slate-500' },
};

/** The basis a mixed "load" figure stands for: measured when any part is measured, else allocated, else nameplate. */
export function loadBasisOf(counts: { measured: number; allocated: number; nameplate: number } | null | undefined): LoadBasis {
  if (!counts) return 'nameplate';
  return counts.measured > 0 ? 'measured' : counts.allocated > 0 ? 'allocated' : 'nameplate';
}

/** The same from the figures themselves: a "load" is measured where a reading exists, else allocated, else nameplate. */
export function loadBasisOfFigures(measuredW: number | null | undefined, allocatedW: number | null | undefined): LoadBasis {
  return measuredW != null ? 'measured' : allocatedW ? 'allocated' : 'nameplate';
}

/** The coloured word alone, for table headers and legends. */
export function LoadBasisTag({ basis, children }: { basis: LoadBasis; children?: ReactNode }) {
  const style = STYLE[basis];
  return (
    <span className={`inline-flex items-center gap-1 ${style.text}`} title={style.title} data-basis={basis}>
      <span className={`inline-block h-2 w-2 rounded-full ${style.dot}`} aria-hidden="true" />
      {children ?? style.word}
    </span>
  );
}

/**
 * One figure with what it is: "325 kW measured". Power in watts goes through the one power formatter (W → kW → MW);
 * `value` replaces it for figures that are not a power (e.g. a ratio).
 */
export function LoadFigure({ basis, powerW, value, showWord = true, testId }: { basis: LoadBasis; powerW?: number | null; value?: ReactNode; showWord?: boolean; testId?: string }) {
  const style = STYLE[basis];
  return (
    <span className={`tabular whitespace-nowrap ${style.text}`} title={style.title} data-basis={basis} data-testid={testId}>
      {value ?? formatPowerW(powerW)}
      {showWord ? <span className="text-xs font-normal"> {style.word}</span> : null}
    </span>
  );
}

/**
 * Several figures of one thing in the fixed order (measured · allocated · nameplate · design / budget · capacity),
 * leaving out the ones not given: "325 kW measured · 551 kW allocated / 1.5 MW capacity".
 */
/** The header of a LoadCell column: the basis tag, right-aligned over the figures. */
export function LoadHeader({ basis }: { basis: LoadBasis }) {
  return (
    <th className="text-right font-normal">
      <LoadBasisTag basis={basis} />
    </th>
  );
}

/** A right-aligned table cell with one figure; the column header names its basis, so the word is left out. */
export function LoadCell({ basis, powerW, testId }: { basis: LoadBasis; powerW: number | null | undefined; testId?: string }) {
  return (
    <td className="tabular text-right" data-testid={testId}>
      <LoadFigure basis={basis} powerW={powerW} showWord={false} />
    </td>
  );
}

export function LoadFigures({ figures, testId }: { figures: Partial<Record<LoadBasis, number | null | undefined>>; testId?: string }) {
  const present = LOAD_BASIS_ORDER.filter((basis) => figures[basis] !== undefined);
  const loads = present.filter((b) => b !== 'budget' && b !== 'capacity');
  const limits = present.filter((b) => b === 'budget' || b === 'capacity');
  return (
    <span className="inline-flex flex-wrap items-baseline gap-x-1" data-testid={testId}>
      {loads.map((basis, i) => (
        <span key={basis}>
          {i > 0 ? <span className="text-slate-400"> · </span> : null}
          <LoadFigure basis={basis} powerW={figures[basis]} />
        </span>
      ))}
      {limits.map((basis) => (
        <span key={basis}>
          <span className="text-slate-400"> / </span>
          <LoadFigure basis={basis} powerW={figures[basis]} />
        </span>
      ))}
    </span>
  );
}
