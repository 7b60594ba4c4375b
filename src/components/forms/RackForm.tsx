'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRouter, useSearchParams } from 'next/navigation';
import { type FormEvent, useState } from 'react';
import { Card } from '@/components/ui/Card';
import { PageHeader } from '@/components/ui/PageHeader';
import { useTRPC } from '@/trpc/client';
import { Field, inputClass, SubmitButton } from './Field';
import { type FieldErrors, fieldErrorsOf } from './fieldErrors';

type RackFormState = {
  hallId: string;
  rowId: string;
  name: string;
  positionInRow: string;
  uHeight: string;
  maxPowerKw: string;
  maxWeightKg: string;
  coolingKind: 'air' | 'rear-door' | 'direct-liquid';
  securityZoneId: string;
  status: 'planned' | 'active' | 'maintenance' | 'decommissioned';
};

export function RackForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const params = useSearchParams();
  const [state, setState] = useState<RackFormState>({
    hallId: params.get('hallId') ?? '',
    rowId: '',
    name: '',
    positionInRow: '',
    uHeight: '42',
    maxPowerKw: '40',
    maxWeightKg: '1360',
    coolingKind: 'air',
    securityZoneId: '',
    status: 'planned',
  });
  const [errors, setErrors] = useState<FieldErrors>({});
  const sites = useQuery(trpc.sites.listWithHalls.queryOptions());
  const zones = useQuery(trpc.zones.list.queryOptions());
  const hallId = Number(state.hallId);
  const rows = useQuery({ ...trpc.halls.rows.queryOptions({ id: hallId || 1 }), enabled: hallId > 0 });
  const create = useMutation(trpc.racks.create.mutationOptions());

  const set = (key: keyof RackFormState) => (event: { target: { value: string } }) => setState((s) => ({ ...s, [key]: event.target.value }));
  const num = (value: string) => (value.trim() === '' ? Number.NaN : Number(value));

  async function submit(event: FormEvent) {
    event.preventDefault();
    setErrors({});
    try {
      const rack = await create.mutateAsync({
        hallId: num(state.hallId),
        rowId: num(state.rowId),
        name: state.name,
        positionInRow: num(state.positionInRow),
        uHeight: num(state.uHeight),
        maxPowerKw: num(state.maxPowerKw),
        maxWeightKg: num(state.maxWeightKg),
        coolingKind: state.coolingKind,
        securityZoneId: state.securityZoneId ? Number(state.securityZoneId) : null,
        status: state.status,
      });
      // What the new object changes: lists, the rack and hall views, and the power and cooling figures.
      await queryClient.invalidateQueries({ queryKey: trpc.racks.pathKey() });
      await queryClient.invalidateQueries({ queryKey: trpc.halls.pathKey() });
      await queryClient.invalidateQueries({ queryKey: trpc.sites.pathKey() });
      await queryClient.invalidateQueries({ queryKey: trpc.power.pathKey() });
      await queryClient.invalidateQueries({ queryKey: trpc.cooling.pathKey() });
      router.push(`/racks/${rack.id}`);
    } catch (error) {
      setErrors(fieldErrorsOf(error));
    }
  }

  const halls = sites.data?.flatMap((site) => site.halls.map((hall) => ({ ...hall, siteName: site.name }))) ?? [];
  const invalid = (key: string) => (errors[key] ? true : undefined);
  return (
    <>
      <PageHeader title="New rack" crumbs={[{ href: '/', label: 'Overview' }, { href: '/racks', label: 'Racks' }]} />
      <Card title="Rack">
        <form onSubmit={submit} noValidate className="grid max-w-2xl grid-cols-2 gap-4" aria-label="New rack">
          {errors.form && (
            <p role="alert" className="col-span-2 text-sm text-red-700">
              {errors.form}
            </p>
          )}
          <Field id="hallId" label="Hall" error={errors.hallId}>
            <select id="hallId" className={inputClass} value={state.hallId} onChange={(e) => setState((s) => ({ ...s, hallId: e.target.value, rowId: '' }))} aria-invalid={invalid('hallId')}>
              <option value="">Choose a hall…</option>
              {halls.map((hall) => (
                <option key={hall.id} value={hall.id}>
                  {hall.siteName} · {hall.name}
                </option>
              ))}
            </select>
          </Field>
          <Field id="rowId" label="Row" error={errors.rowId}>
            <select id="rowId" className={inputClass} value={state.rowId} onChange={set('rowId')} aria-invalid={invalid('rowId')} disabled={!rows.data}>
              <option value="">Choose a row…</option>
              {rows.data?.map((row) => (
                <option key={row.id} value={row.id}>
                  {row.name}
                </option>
              ))}
            </select>
          </Field>
          <Field id="name" label="Name" error={errors.name} hint="Unique within the hall, e.g. A1-09">
            <input id="name" className={inputClass} value={state.name} onChange={set('name')} aria-invalid={invalid('name')} autoComplete="off" />
          </Field>
          <Field id="positionInRow" label="Position in row" error={errors.positionInRow} hint="0 = the row's first tile">
            <input id="positionInRow" type="number" inputMode="numeric" className={inputClass} value={state.positionInRow} onChange={set('positionInRow')} aria-invalid={invalid('positionInRow')} />
          </Field>
          <Field id="uHeight" label="Height (U)" error={errors.uHeight}>
            <input id="uHeight" type="number" className={inputClass} value={state.uHeight} onChange={set('uHeight')} aria-invalid={invalid('uHeight')} />
          </Field>
          <Field id="maxPowerKw" label="Power budget (kW)" error={errors.maxPowerKw}>
            <input id="maxPowerKw" type="number" step="0.1" className={inputClass} value={state.maxPowerKw} onChange={set('maxPowerKw')} aria-invalid={invalid('maxPowerKw')} />
          </Field>
          <Field id="maxWeightKg" label="Maximum weight (kg)" error={errors.maxWeightKg}>
            <input id="maxWeightKg" type="number" className={inputClass} value={state.maxWeightKg} onChange={set('maxWeightKg')} aria-invalid={invalid('maxWeightKg')} />
          </Field>
          <Field id="coolingKind" label="Cooling" error={errors.coolingKind}>
            <select id="coolingKind" className={inputClass} value={state.coolingKind} onChange={set('coolingKind')}>
              <option value="air">air</option>
              <option value="rear-door">rear-door heat exchanger</option>
              <option value="direct-liquid">direct liquid</option>
            </select>
          </Field>
          <Field id="securityZoneId" label="Security zone" error={errors.securityZoneId} hint="Empty: the hall's zone applies">
            <select id="securityZoneId" className={inputClass} value={state.securityZoneId} onChange={set('securityZoneId')}>
              <option value="">(hall's zone)</option>
              {zones.data?.map((zone) => (
                <option key={zone.id} value={zone.id}>
                  {zone.name} ({zone.accessLevel})
                </option>
              ))}
            </select>
          </Field>
          <Field id="status" label="Status" error={errors.status}>
            <select id="status" className={inputClass} value={state.status} onChange={set('status')}>
              {['planned', 'active', 'maintenance', 'decommissioned'].map((status) => (
                <option key={status} value={status}>
                  {status}
                </option>
              ))}
            </select>
          </Field>
          <div className="col-span-2">
            <SubmitButton pending={create.isPending}>Create rack</SubmitButton>
          </div>
        </form>
      </Card>
    </>
  );
}
