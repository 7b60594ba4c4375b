'use client';

import { useQuery } from '@tanstack/react-query';
import { Badge } from '@/components/ui/Badge';
import { Card } from '@/components/ui/Card';
import { ErrorMessage, Loading } from '@/components/ui/Loading';
import { PageHeader } from '@/components/ui/PageHeader';
import { useTRPC } from '@/trpc/client';
import { AddTarget, SimulatorFaults } from './OperationsForms';
import { formatCount, formatDateTime, formatTime } from '@/domain/units';

/** Scrape targets with their health, the ingest counters, and the series that map to nothing in the inventory. */
export function TelemetryView() {
  const trpc = useTRPC();
  const targets = useQuery({ ...trpc.telemetry.targets.list.queryOptions(), refetchInterval: 5_000 });
  const unmapped = useQuery({ ...trpc.telemetry.unmapped.queryOptions({ limit: 200 }), refetchInterval: 15_000 });
  const stats = useQuery({ ...trpc.telemetry.ingestStats.queryOptions(), refetchInterval: 5_000 });
  if (targets.isPending) return <Loading label="Loading targets" />;
  if (targets.isError) return <ErrorMessage error={targets.error} />;
  const up = targets.data.filter((t) => t.up).length;
  return (
    <>
      <PageHeader title="Telemetry" crumbs={[{ href: '/', label: 'Overview' }]} />
      <div className="grid gap-6">
        <SimulatorFaults />
        <AddTarget />
        <Card title="Ingest" testId="ingest-stats">
          {stats.data ? (
            <dl className="grid grid-cols-3 gap-2 text-sm lg:grid-cols-6">
              {(
                [
                  ['Written', stats.data.writtenSamples],
                  ['Buffered', stats.data.bufferedSamples],
                  ['Dropped (buffer full)', stats.data.droppedSamples],
                  ['Out of window', stats.data.outOfWindowSamples],
                  ['Refused (outside zone)', stats.data.zoneRefusedSamples],
                  ['Series', stats.data.seriesKnown],
                  ['Failed flushes', stats.data.failedFlushes],
                ] as const
              ).map(([label, value]) => (
                <div key={label}>
                  <dt className="text-slate-500">{label}</dt>
                  <dd className="tabular">{formatCount(value)}</dd>
                </div>
              ))}
            </dl>
          ) : (
            <p className="text-sm text-slate-500">No ingest in this server process.</p>
          )}
        </Card>
        <Card title={`Scrape targets (${up} of ${targets.data.length} up)`} testId="targets">
          <table className="w-full text-sm">
            <thead className="text-left text-slate-500">
              <tr>
                <th className="font-normal">Health</th>
                <th className="font-normal">URL</th>
                <th className="font-normal">Dialect</th>
                <th className="text-right font-normal">Interval</th>
                <th className="text-right font-normal">Samples</th>
                <th className="text-right font-normal">Duration</th>
                <th className="font-normal">Last success</th>
                <th className="font-normal">Last error</th>
              </tr>
            </thead>
            <tbody>
              {targets.data.map((t) => (
                <tr key={t.id} className="border-t border-slate-100" data-testid="target-row">
                  <td>
                    <Badge tone={!t.enabled ? 'slate' : t.up ? 'green' : 'red'}>{!t.enabled ? 'disabled' : t.up ? 'up' : 'down'}</Badge>
                  </td>
                  <td className="font-mono text-xs">
                    {t.url}
                    {t.managedBy ? <span className="ml-1 text-slate-500">({t.managedBy})</span> : null}
                  </td>
                  <td>
                    {t.dialect}
                    {typeof t.options.profile === 'string' ? <span className="ml-1 text-slate-500">({t.options.profile})</span> : null}
                    {t.device ? <div className="text-xs text-slate-500">reads {t.device}</div> : null}
                  </td>
                  <td className="tabular text-right">{t.intervalMs / 1000} s</td>
                  <td className="tabular text-right">{t.lastSampleCount ?? '—'}</td>
                  <td className="tabular text-right">{t.lastDurationMs !== null ? `${formatCount(t.lastDurationMs)} ms` : '—'}</td>
                  <td className="tabular">{t.lastSuccessAt ? formatTime(t.lastSuccessAt) : '—'}</td>
                  <td className="text-xs text-red-700">{t.lastError ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
        <Card title={`Unmapped series (${unmapped.data?.total ?? '…'})`} testId="unmapped">
          {!unmapped.data || unmapped.data.items.length === 0 ? (
            <p className="text-sm text-slate-500">Every series maps to the inventory.</p>
          ) : (
            <table className="w-full text-sm">
              <thead className="text-left text-slate-500">
                <tr>
                  <th className="font-normal">Metric</th>
                  <th className="font-normal">Identity</th>
                  <th className="font-normal">Labels</th>
                  <th className="font-normal">From</th>
                </tr>
              </thead>
              <tbody>
                {unmapped.data.items.map((s) => (
                  <tr key={s.id} className="border-t border-slate-100">
                    <td>{s.metric}</td>
                    <td className="font-mono text-xs">{s.gpuUuid ?? s.hostname ?? s.device ?? '—'}</td>
                    <td className="font-mono text-xs">{JSON.stringify(s.labels)}</td>
                    <td className="font-mono text-xs">{s.target ?? 'remote-write'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>
        <Card title="Samples dropped on the way in" testId="input-drops">
          {!unmapped.data || unmapped.data.dropped.length === 0 ? (
            <p className="text-sm text-slate-500">None: no sample had a NUL byte, invalid UTF-8 or an over-long name or value.</p>
          ) : (
            <table className="w-full text-sm">
              <thead className="text-left text-slate-500">
                <tr>
                  <th className="font-normal">Reason</th>
                  <th className="font-normal text-right">Samples</th>
                  <th className="font-normal">Last</th>
                </tr>
              </thead>
              <tbody>
                {unmapped.data.dropped.map((d) => (
                  <tr key={d.reason} className="border-t border-slate-100">
                    <td className="font-mono text-xs">{d.reason}</td>
                    <td className="tabular text-right">{formatCount(d.samples)}</td>
                    <td className="tabular">{formatDateTime(d.lastAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>
      </div>
    </>
  );
}
