'use client';

import { useMutation, useQuery } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import Link from 'next/link';
import { type FormEvent, useEffect, useState } from 'react';
import { fieldErrorsOf } from '@/components/forms/fieldErrors';
import { Badge } from '@/components/ui/Badge';
import { Card } from '@/components/ui/Card';
import { formatCount, formatDateTime, formatMetric, formatNumber } from '@/domain/units';
import { PageHeader } from '@/components/ui/PageHeader';
import { useTRPC } from '@/trpc/client';

const STATE_TONE = { firing: 'red', acknowledged: 'amber', resolved: 'green' } as const;

function formatValue(value: number | null, unit: string | null): string {
  if (value === null) return '—';
  if (unit === 's') return `${formatCount(value)} s`;
  if (!unit || unit === 'unknown' || unit === 'bool' || unit === 'code') return formatNumber(value);
  return formatMetric(value, unit);
}

type Alert = {
  id: number;
  rule: string;
  severity: 'warning' | 'critical';
  state: 'firing' | 'acknowledged' | 'resolved';
  entityLabel: string;
  value: number | null;
  unit: string | null;
  startedAt: Date | string;
  acknowledgedBy: string | null;
  ackNote: string | null;
  silencedUntil: Date | string | null;
  runbook: string;
  racks: { id: number; name: string }[];
  jobs: { id: number; name: string }[];
};

function AlertRow({ alert, selected, onSelect, indent = false, explains }: { alert: Alert; selected: boolean; onSelect: (on: boolean) => void; indent?: boolean; explains?: number }) {
  return (
    <tr className="border-t border-slate-100 align-top" data-testid="alert-row" data-rule={alert.rule} data-entity={alert.entityLabel} data-alert-id={alert.id}>
      <td className="py-1">
        {alert.state !== 'resolved' && <input type="checkbox" aria-label={`Select ${alert.rule} on ${alert.entityLabel}`} checked={selected} onChange={(e) => onSelect(e.target.checked)} />}
      </td>
      <td className={indent ? 'pl-6' : ''}>
        <Badge tone={alert.severity === 'critical' ? 'red' : 'amber'}>{alert.severity}</Badge>
      </td>
      <td>
        <details>
          <summary className="cursor-pointer">
            {alert.rule}
            {explains ? <span className="ml-2 text-xs text-slate-500">explains {explains} alert{explains === 1 ? '' : 's'}</span> : null}
          </summary>
          <p className="mt-1 max-w-xl text-xs text-slate-600" data-testid="alert-runbook">
            {alert.runbook}
          </p>
        </details>
      </td>
      <td>{alert.entityLabel}</td>
      <td className="tabular text-right">{formatValue(alert.value, alert.unit)}</td>
      <td className="tabular whitespace-nowrap">{formatDateTime(alert.startedAt)}</td>
      <td className="text-xs">
        {alert.racks.slice(0, 6).map((rack) => (
          <Link key={rack.id} href={`/racks/${rack.id}`} className="mr-1 text-sky-700 hover:underline">
            {rack.name}
          </Link>
        ))}
        {alert.racks.length > 6 ? <span className="text-slate-500">+{alert.racks.length - 6} racks</span> : null}
        {alert.jobs.map((job) => (
          <Link key={job.id} href={`/jobs/${job.id}`} className="mr-1 text-violet-700 hover:underline">
            job {job.name}
          </Link>
        ))}
      </td>
      <td>
        <Badge tone={STATE_TONE[alert.state]}>{alert.state}</Badge>
        {alert.acknowledgedBy ? <span className="ml-1 text-xs text-slate-500">by {alert.acknowledgedBy}</span> : null}
        {alert.ackNote ? <p className="text-xs text-slate-500">“{alert.ackNote}”</p> : null}
        {alert.silencedUntil ? <p className="text-xs text-slate-500">silenced until {formatDateTime(alert.silencedUntil)}</p> : null}
      </td>
    </tr>
  );
}

function AlertTable({ children }: { children: React.ReactNode }) {
  return (
    <table className="w-full text-sm">
      <thead className="text-left text-slate-500">
        <tr>
          <th className="w-6" />
          <th className="font-normal">Severity</th>
          <th className="font-normal">Rule (runbook)</th>
          <th className="font-normal">Where</th>
          <th className="text-right font-normal">Value</th>
          <th className="font-normal">Since</th>
          <th className="font-normal">Affects</th>
          <th className="font-normal">State</th>
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}

/**
 * Alerts in triage order: critical before warning, then the oldest first; a failed cooling unit leads the inlet alerts
 * it explains. Select alerts (a whole group at once) to acknowledge them with one note, or to silence them for a while.
 */
export function AlertsView() {
  const trpc = useTRPC();
  // The live list only signals changes; the triage query (grouped, with links) is re-read on each.
  const live = useSubscription(trpc.alerts.live.subscriptionOptions({ state: 'open', limit: 1 }));
  const triage = useQuery(trpc.alerts.triage.queryOptions());
  const ackMany = useMutation(trpc.alerts.ackMany.mutationOptions());
  const silence = useMutation(trpc.alerts.silence.mutationOptions());
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [note, setNote] = useState('');
  const [duration, setDuration] = useState('2h');
  const [error, setError] = useState<string | null>(null);
  const { refetch } = triage;
  useEffect(() => {
    if (live.data) void refetch();
  }, [live.data, refetch]);

  const select = (ids: number[], on: boolean) =>
    setSelected((current) => {
      const next = new Set(current);
      for (const id of ids) (on ? next.add(id) : next.delete(id));
      return next;
    });

  async function act(event: FormEvent, action: 'ack' | 'silence') {
    event.preventDefault();
    setError(null);
    try {
      if (action === 'ack') await ackMany.mutateAsync({ ids: [...selected], note });
      else await silence.mutateAsync({ ids: [...selected], duration, note });
      setSelected(new Set());
      setNote('');
      await refetch();
    } catch (failure) {
      const errors = fieldErrorsOf(failure);
      setError(Object.entries(errors).map(([field, reason]) => (field === 'form' ? reason : `${field}: ${reason}`)).join('; '));
    }
  }

  const data = triage.data;
  const open = data?.groups.reduce((n, g) => n + 1 + g.explained.length, 0) ?? 0;
  return (
    <>
      <PageHeader title="Alerts" crumbs={[{ href: '/', label: 'Overview' }]} />
      <p className="mb-4 text-xs text-slate-500" aria-live="polite">
        Stream: {live.status === 'pending' ? 'live' : live.status}
      </p>
      <form className="mb-4 flex flex-wrap items-end gap-2 text-sm" aria-label="Selected alerts" onSubmit={(e) => act(e, 'ack')}>
        <span className="text-slate-600" data-testid="alerts-selected">
          {selected.size} selected
        </span>
        <label className="flex flex-col">
          <span className="text-xs text-slate-500">Note</span>
          <input className="rounded border border-slate-300 px-2 py-1" value={note} onChange={(e) => setNote(e.target.value)} placeholder="what is being done" aria-label="Note" />
        </label>
        <button type="submit" className="rounded bg-slate-900 px-3 py-1.5 text-white disabled:opacity-50" disabled={selected.size === 0 || ackMany.isPending}>
          Acknowledge selected
        </button>
        <label className="flex flex-col">
          <span className="text-xs text-slate-500">Silence for</span>
          <input className="w-20 rounded border border-slate-300 px-2 py-1" value={duration} onChange={(e) => setDuration(e.target.value)} aria-label="Silence for" />
        </label>
        <button type="button" className="rounded border border-slate-300 px-3 py-1.5 disabled:opacity-50" disabled={selected.size === 0 || silence.isPending} onClick={(e) => act(e, 'silence')}>
          Silence selected
        </button>
        {error ? (
          <p role="alert" className="w-full text-red-700">
            {error}
          </p>
        ) : null}
      </form>
      <div className="grid gap-6">
        <Card title={`Open (${open})`} testId="alerts-open">
          {!data ? (
            <p className="text-sm text-slate-500">Loading…</p>
          ) : data.groups.length === 0 ? (
            <p className="text-sm text-slate-500">None.</p>
          ) : (
            <AlertTable>
              {data.groups.map((group) => {
                const groupIds = [group.alert, ...group.explained].filter((a) => a.state === 'firing' || a.state === 'acknowledged').map((a) => a.id);
                return [
                  <AlertRow
                    key={group.alert.id}
                    alert={group.alert}
                    explains={group.explained.length}
                    selected={selected.has(group.alert.id)}
                    onSelect={(on) => select(group.explained.length ? groupIds : [group.alert.id], on)}
                  />,
                  ...group.explained.map((alert) => <AlertRow key={alert.id} alert={alert} indent selected={selected.has(alert.id)} onSelect={(on) => select([alert.id], on)} />),
                ];
              })}
            </AlertTable>
          )}
        </Card>
        <Card title={`Silenced (${data?.silenced.length ?? 0})`} testId="alerts-silenced">
          {data?.silenced.length ? (
            <AlertTable>
              {data.silenced.map((alert) => (
                <AlertRow key={alert.id} alert={alert} selected={selected.has(alert.id)} onSelect={(on) => select([alert.id], on)} />
              ))}
            </AlertTable>
          ) : (
            <p className="text-sm text-slate-500">None.</p>
          )}
        </Card>
        <Card title={`Resolved (${data?.resolved.length ?? 0})`} testId="alerts-resolved">
          {data?.resolved.length ? (
            <AlertTable>
              {data.resolved.map((alert) => (
                <AlertRow key={alert.id} alert={alert} selected={false} onSelect={() => {}} />
              ))}
            </AlertTable>
          ) : (
            <p className="text-sm text-slate-500">None.</p>
          )}
        </Card>
      </div>
    </>
  );
}
