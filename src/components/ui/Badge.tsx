import type { ReactNode } from 'react';

const TONES = {
  green: 'bg-emerald-100 text-emerald-800',
  amber: 'bg-amber-100 text-amber-800',
  red: 'bg-red-100 text-red-800',
  slate: 'bg-slate-100 text-slate-700',
  blue: 'bg-sky-100 text-sky-800',
} as const;

export type Tone = keyof typeof TONES;

export function Badge({ tone = 'slate', children }: { tone?: Tone; children: ReactNode }) {
  return <span className={`inline-flex items-center rounded px-1.5 py-0.5 text-xs font-medium ${TONES[tone]}`}>{children}</span>;
}

const STATUS_TONE: Record<string, Tone> = {
  active: 'green',
  planned: 'blue',
  maintenance: 'amber',
  standby: 'slate',
  failed: 'red',
  decommissioned: 'slate',
  healthy: 'green',
  degraded: 'amber',
};

export function StatusBadge({ status }: { status: string }) {
  return <Badge tone={STATUS_TONE[status] ?? 'slate'}>{status}</Badge>;
}

/** Colour for a utilisation percentage: green below 80 %, amber to 100 %, red above. */
export function utilisationTone(pct: number | null | undefined): Tone {
  if (pct === null || pct === undefined) return 'slate';
  return pct > 100 ? 'red' : pct >= 80 ? 'amber' : 'green';
}
