'use client';

import { useMutation } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { Badge } from '@/components/ui/Badge';
import { Card } from '@/components/ui/Card';
import { PageHeader } from '@/components/ui/PageHeader';
import { useTRPC } from '@/trpc/client';

const STATE_TONE = { firing: 'red', acknowledged: 'amber', resolved: 'green' } as const;

function formatValue(value: number | null, unit: string | null): string {
  if (value === null) return '—';
  if (unit === 'ratio') return `${(value * 100).toFixed(1)} %`;
  if (unit === 'C') return `${value.toFixed(1)} °C`;
  if (unit === 's') return `${Math.round(value)} s`;
  return `${Math.round(value * 100) / 100}${unit && unit !== 'unknown' && unit !== 'bool' && unit !== 'code' ? ` ${unit}` : ''}`;
}

/** Alerts, live: firing and acknowledged first, then the resolved history. */
export function AlertsView() {
  const trpc = useTRPC();
  const live = useSubscription(trpc.alerts.live.subscriptionOptions({ state: 'all', limit: 300 }));
  const ack = useMutation(trpc.alerts.ack.mutationOptions());
  const alerts = live.data ?? [];
  const sections = [
    { title: 'Firing', state: 'firing' as const },
    { title: 'Acknowledged', state: 'acknowledged' as const },
    { title: 'Resolved', state: 'resolved' as const },
  ];
  return (
    <>
      <PageHeader title="Alerts" crumbs={[{ href: '/', label: 'Overview' }]} />
      <p className="mb-4 text-xs text-slate-500" aria-live="polite">
        Stream: {live.status === 'pending' ? 'live' : live.status}
      </p>
      <div className="grid gap-6">
        {sections.map(({ title, state }) => {
          const list = alerts.filter((a) => a.state === state);
          return (
            <Card key={state} title={`${title} (${list.length})`} testId={`alerts-${state}`}>
              {list.length === 0 ? (
                <p className="text-sm text-slate-500">None.</p>
              ) : (
                <table className="w-full text-sm">
                  <thead className="text-left text-slate-500">
                    <tr>
                      <th className="font-normal">Severity</th>
                      <th className="font-normal">Rule</th>
                      <th className="font-normal">Where</th>
                      <th className="text-right font-normal">Value</th>
                      <th className="font-normal">Since</th>
                      <th className="font-normal">State</th>
                      <th />
                    </tr>
                  </thead>
                  <tbody>
                    {list.map((a) => (
                      <tr key={a.id} className="border-t border-slate-100" data-testid="alert-row" data-rule={a.rule} data-entity={a.entityLabel}>
                        <td>
                          <Badge tone={a.severity === 'critical' ? 'red' : 'amber'}>{a.severity}</Badge>
                        </td>
                        <td>{a.rule}</td>
                        <td>{a.entityLabel}</td>
                        <td className="tabular text-right">{formatValue(a.value, a.unit)}</td>
                        <td className="tabular">{new Date(a.startedAt).toLocaleString()}</td>
                        <td>
                          <Badge tone={STATE_TONE[a.state]}>{a.state}</Badge>
                          {a.acknowledgedBy ? <span className="ml-1 text-xs text-slate-500">by {a.acknowledgedBy}</span> : null}
                        </td>
                        <td className="text-right">
                          {a.state === 'firing' ? (
                            <button type="button" className="rounded border border-slate-300 px-2 py-0.5 text-xs hover:bg-slate-50" disabled={ack.isPending} onClick={() => ack.mutate({ id: a.id })}>
                              Acknowledge
                            </button>
                          ) : null}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </Card>
          );
        })}
      </div>
    </>
  );
}
