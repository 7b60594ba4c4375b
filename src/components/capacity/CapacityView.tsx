'use client';

import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Field, inputClass, SubmitButton } from '@/components/forms/Field';
import { fieldErrorsOf } from '@/components/forms/fieldErrors';
import { useSite } from '@/components/plant/useSite';
import { Badge } from '@/components/ui/Badge';
import { Card } from '@/components/ui/Card';
import { ErrorMessage, Loading } from '@/components/ui/Loading';
import { PageHeader } from '@/components/ui/PageHeader';
import { formatPowerW, formatWeightKg } from '@/domain/units';
import { useTRPC } from '@/trpc/client';

function ports(byGbps: Record<string, number>): string {
  const entries = Object.entries(byGbps).sort((a, b) => Number(b[0]) - Number(a[0]));
  return entries.length ? entries.map(([speed, count]) => `${count} × ${speed}G`).join(', ') : '—';
}

export function CapacityView() {
  const trpc = useTRPC();
  const { site } = useSite();
  const siteId = site?.id ?? 0;
  const headroom = useQuery({ ...trpc.capacity.headroom.queryOptions({ siteId }), enabled: siteId > 0 });
  if (!site || headroom.isPending) return <Loading label="Loading capacity" />;
  if (headroom.isError) return <ErrorMessage error={headroom.error} />;
  const { halls, racks, site: total, strandThresholds } = headroom.data;
  return (
    <>
      <PageHeader title="Capacity planning" crumbs={[{ href: '/', label: 'Overview' }, { href: `/sites/${site.id}`, label: site.name }]} />
      {total && (
        <div className="mb-6 grid gap-4 md:grid-cols-4" data-testid="capacity-totals">
          <Card title="Free space">
            <p className="tabular text-2xl">{total.freeU} U</p>
          </Card>
          <Card title="Usable power">
            <p className="tabular text-2xl">{formatPowerW(total.usablePowerW)}</p>
            <p className="text-xs text-slate-500">power and cooling both available, A/B failover kept</p>
          </Card>
          <Card title="Stranded space and ports">
            <p className="tabular text-2xl" data-testid="stranded-space">
              {total.stranded.spaceWithoutPowerU} U
            </p>
            <p className="tabular text-sm" data-testid="stranded-ports">
              {ports(total.stranded.portsWithoutPowerByGbps) === '—' ? '0 switch ports' : `${ports(total.stranded.portsWithoutPowerByGbps)} switch ports`}
            </p>
            <p className="tabular text-sm" data-testid="stranded-outlets">
              {total.stranded.outletsWithoutPower} PDU outlets
            </p>
            <p className="text-xs text-slate-500">
              free units, switch ports and PDU outlets in racks whose usable power is below the smallest server placed in racks
              cooled the same way (
              <span data-testid="strand-thresholds">
                {strandThresholds.map((t) => `${t.cooling === 'all' ? 'every rack' : `${t.cooling}-cooled racks`}: ${formatPowerW(t.thresholdW)}`).join('; ')}
              </span>
              )
            </p>
          </Card>
          <Card title="Stranded power">
            <p className="tabular text-2xl">{formatPowerW(total.stranded.powerWithoutCoolingW + total.stranded.powerWithoutSpaceW)}</p>
            <p className="text-xs text-slate-500">
              {formatPowerW(total.stranded.powerWithoutCoolingW)} without cooling, {formatPowerW(total.stranded.powerWithoutSpaceW)} without space
            </p>
          </Card>
        </div>
      )}
      <div className="grid gap-6">
        <Card title="Headroom by hall">
          <div className="overflow-x-auto">
<table className="w-full whitespace-nowrap text-sm" data-testid="headroom-halls">
            <thead className="text-left text-slate-500">
              <tr>
                <th className="font-normal">Hall</th>
                <th className="text-right font-normal">Racks</th>
                <th className="text-right font-normal">Free space</th>
                <th className="text-right font-normal">Usable power</th>
                <th className="text-right font-normal">Stranded space</th>
                <th className="font-normal">Stranded switch ports</th>
                <th className="text-right font-normal">Stranded PDU outlets</th>
                <th className="text-right font-normal">Power without cooling</th>
                <th className="font-normal">Free switch ports</th>
              </tr>
            </thead>
            <tbody>
              {halls.map((hall) => (
                <tr key={hall.key} className="border-t border-slate-100">
                  <td>{hall.key}</td>
                  <td className="tabular text-right">{hall.racks}</td>
                  <td className="tabular text-right">{hall.freeU} U</td>
                  <td className="tabular text-right">{formatPowerW(hall.usablePowerW)}</td>
                  <td className="tabular text-right">{hall.stranded.spaceWithoutPowerU > 0 ? <Badge tone="amber">{hall.stranded.spaceWithoutPowerU} U</Badge> : '0 U'}</td>
                  <td>{ports(hall.stranded.portsWithoutPowerByGbps)}</td>
                  <td className="tabular text-right">{hall.stranded.outletsWithoutPower}</td>
                  <td className="tabular text-right">{formatPowerW(hall.stranded.powerWithoutCoolingW)}</td>
                  <td>{ports(hall.freePortsByGbps)}</td>
                </tr>
              ))}
            </tbody>
          </table>
</div>
        </Card>
        <PlacementWhatIf siteId={site.id} halls={site.halls} />
        <FailureWhatIf siteId={site.id} />
        <Card title="Headroom by rack">
          <div className="overflow-x-auto">
<table className="w-full whitespace-nowrap text-sm" data-testid="headroom-racks">
            <thead className="text-left text-slate-500">
              <tr>
                <th className="font-normal">Rack</th>
                <th className="text-right font-normal">Free U (largest span)</th>
                <th className="text-right font-normal">Power headroom</th>
                <th className="text-right font-normal">Cooling headroom</th>
                <th className="text-right font-normal">Weight headroom</th>
                <th className="font-normal">Stranded</th>
              </tr>
            </thead>
            <tbody>
              {racks.map((rack) => (
                <tr key={rack.rackId} className="border-t border-slate-100">
                  <td className="max-w-[16rem] truncate" title={`${rack.hallName} / ${rack.name}`}>
                    {rack.hallName} / {rack.name}
                  </td>
                  <td className="tabular text-right">
                    {rack.freeU} U ({rack.largestFreeSpanU} U)
                  </td>
                  <td className="tabular text-right">{formatPowerW(rack.powerHeadroomW)}</td>
                  <td className="tabular text-right">{formatPowerW(rack.coolingHeadroomW)}</td>
                  <td className="tabular text-right">{formatWeightKg(rack.weightHeadroomKg)}</td>
                  <td>{rack.stranded.spaceWithoutPowerU > 0 ? <Badge tone="amber">{rack.stranded.spaceWithoutPowerU} U without power</Badge> : rack.stranded.powerWithoutSpaceW > 0 ? <Badge tone="amber">power without space</Badge> : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
</div>
        </Card>
      </div>
    </>
  );
}

function PlacementWhatIf({ siteId, halls }: { siteId: number; halls: { id: number; name: string }[] }) {
  const trpc = useTRPC();
  const types = useQuery(trpc.devices.types.queryOptions());
  const [form, setForm] = useState({ deviceTypeId: '', count: '4', hallId: '' });
  const [submitted, setSubmitted] = useState<{ deviceTypeId: number; count: number; hallId?: number }>();
  const result = useQuery({ ...trpc.capacity.whatIfPlacement.queryOptions({ siteId, deviceTypeId: submitted?.deviceTypeId ?? 0, count: submitted?.count ?? 1, hallId: submitted?.hallId }), enabled: Boolean(submitted) });
  const errors = result.isError ? fieldErrorsOf(result.error) : {};
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSubmitted({ deviceTypeId: Number(form.deviceTypeId) || Number.NaN, count: Number(form.count), hallId: form.hallId ? Number(form.hallId) : undefined });
  };
  return (
    <Card title="What-if: add devices" testId="whatif-place">
      <form onSubmit={submit} className="flex flex-wrap items-end gap-3" aria-label="What-if placement">
        <Field id="wi-type" label="Device type" error={errors.deviceTypeId}>
          <select id="wi-type" className={inputClass} value={form.deviceTypeId} onChange={(e) => setForm({ ...form, deviceTypeId: e.target.value })}>
            <option value="">Choose…</option>
            {types.data?.map((t) => (
              <option key={t.id} value={t.id}>
                {t.manufacturer} {t.model} ({t.uHeight} U, {formatPowerW(t.nameplatePowerW)})
              </option>
            ))}
          </select>
        </Field>
        <Field id="wi-count" label="How many" error={errors.count}>
          <input id="wi-count" type="number" min={1} className={`${inputClass} w-24`} value={form.count} onChange={(e) => setForm({ ...form, count: e.target.value })} />
        </Field>
        <Field id="wi-hall" label="Area" error={errors.hallId}>
          <select id="wi-hall" className={inputClass} value={form.hallId} onChange={(e) => setForm({ ...form, hallId: e.target.value })}>
            <option value="">whole site</option>
            {halls.map((hall) => (
              <option key={hall.id} value={hall.id}>
                {hall.name}
              </option>
            ))}
          </select>
        </Field>
        <SubmitButton pending={result.isFetching}>Find racks</SubmitButton>
      </form>
      {errors.form && <p className="mt-2 text-sm text-red-700">{errors.form}</p>}
      {result.data && (
        <div className="mt-3 text-sm" data-testid="whatif-place-result" aria-live="polite">
          <p className="font-medium">{result.data.explanation}</p>
          <p className="text-slate-500">
            {result.data.deviceType}, planned at {formatPowerW(result.data.powerWPerDevice)} each; {result.data.racksInArea} racks in the area; nothing was changed.
          </p>
          <ul className="mt-1 list-inside list-disc">
            {result.data.placed.map((p) => (
              <li key={p.rackId}>
                {p.rackName}: {p.positionsU.map((u) => `U${u}`).join(', ')}
              </li>
            ))}
          </ul>
        </div>
      )}
    </Card>
  );
}

function FailureWhatIf({ siteId }: { siteId: number }) {
  const trpc = useTRPC();
  const nodes = useQuery(trpc.power.nodes.queryOptions({ siteId }));
  const units = useQuery(trpc.cooling.units.queryOptions({ siteId }));
  const [selected, setSelected] = useState<{ power: number[]; cooling: number[] }>({ power: [], cooling: [] });
  const [submitted, setSubmitted] = useState<typeof selected>();
  const result = useQuery({ ...trpc.capacity.whatIfFailure.queryOptions({ siteId, powerNodeIds: submitted?.power ?? [], coolingUnitIds: submitted?.cooling ?? [] }), enabled: Boolean(submitted) });
  const toggle = (kind: 'power' | 'cooling', id: number) =>
    setSelected((s) => ({ ...s, [kind]: s[kind].includes(id) ? s[kind].filter((x) => x !== id) : [...s[kind], id] }));
  return (
    <Card title="What-if: a unit fails" testId="whatif-fail">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setSubmitted(selected);
        }}
        aria-label="What-if failure"
      >
        <div className="grid gap-4 md:grid-cols-2">
          <fieldset>
            <legend className="text-sm font-medium text-slate-700">Power</legend>
            {nodes.data?.nodes.map((node) => (
              <label key={node.id} className="mr-3 inline-flex items-center gap-1 text-sm">
                <input type="checkbox" checked={selected.power.includes(node.id)} onChange={() => toggle('power', node.id)} /> {node.name}
              </label>
            ))}
          </fieldset>
          <fieldset>
            <legend className="text-sm font-medium text-slate-700">Cooling</legend>
            {units.data?.units.map((unit) => (
              <label key={unit.id} className="mr-3 inline-flex items-center gap-1 text-sm">
                <input type="checkbox" checked={selected.cooling.includes(unit.id)} onChange={() => toggle('cooling', unit.id)} /> {unit.name}
              </label>
            ))}
          </fieldset>
        </div>
        <div className="mt-3">
          <SubmitButton pending={result.isFetching}>What happens?</SubmitButton>
        </div>
      </form>
      {result.isError && <ErrorMessage error={result.error} />}
      {result.data && (
        <dl className="mt-3 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm" data-testid="whatif-fail-result" aria-live="polite">
          <dt className="text-slate-500">Power overloads</dt>
          <dd>{result.data.power?.overloads.map((o) => `${o.name} over by ${formatPowerW(o.overByW)}`).join(', ') || 'none'}</dd>
          <dt className="text-slate-500">Racks without power</dt>
          <dd>{result.data.power?.unpoweredRacks.join(', ') || 'none'}</dd>
          <dt className="text-slate-500">Cooling groups losing N+1</dt>
          <dd>{result.data.cooling.groupsLosingRedundancy.join(', ') || 'none'}</dd>
          <dt className="text-slate-500">Cooling groups overloaded</dt>
          <dd>{result.data.cooling.groupsOverloaded.join(', ') || 'none'}</dd>
          <dt className="text-slate-500">Racks that overheat</dt>
          <dd>{result.data.cooling.overheatingRacks.join(', ') || 'none'}</dd>
          <dt className="text-slate-500">Running jobs affected</dt>
          <dd data-testid="whatif-affected-jobs">{result.data.affectedJobs.map((j) => `${j.name} (${j.tenant}, ${j.gpus} GPUs)`).join(', ') || 'none'}</dd>
        </dl>
      )}
    </Card>
  );
}
