'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRouter, useSearchParams } from 'next/navigation';
import { type FormEvent, useState } from 'react';
import { Card } from '@/components/ui/Card';
import { PageHeader } from '@/components/ui/PageHeader';
import { formatPowerW } from '@/domain/units';
import { useTRPC } from '@/trpc/client';
import { Field, inputClass, SubmitButton } from './Field';
import { type FieldErrors, fieldErrorsOf } from './fieldErrors';

const STATUSES = ['planned', 'active', 'maintenance', 'failed', 'decommissioned'] as const;

export function DeviceForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const params = useSearchParams();
  const [state, setState] = useState({
    deviceTypeId: '',
    rackId: params.get('rackId') ?? '',
    position: params.get('position') ?? '',
    face: 'front' as 'front' | 'rear',
    name: '',
    serial: '',
    assetTag: '',
    hostname: '',
    bmcAddress: '',
    status: 'planned' as (typeof STATUSES)[number],
    capacityOverrideReason: '',
  });
  const [errors, setErrors] = useState<FieldErrors>({});
  const types = useQuery(trpc.devices.types.queryOptions());
  const racks = useQuery(trpc.racks.list.queryOptions({ limit: 500 }));
  const create = useMutation(trpc.devices.create.mutationOptions());
  const set = (key: keyof typeof state) => (event: { target: { value: string } }) => setState((s) => ({ ...s, [key]: event.target.value }));
  const type = types.data?.find((t) => String(t.id) === state.deviceTypeId);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setErrors({});
    try {
      const device = await create.mutateAsync({
        deviceTypeId: state.deviceTypeId ? Number(state.deviceTypeId) : Number.NaN,
        rackId: state.rackId ? Number(state.rackId) : null,
        position: state.rackId ? (state.position ? Number(state.position) : null) : null,
        face: state.rackId ? state.face : null,
        name: state.name,
        serial: state.serial,
        assetTag: state.assetTag || null,
        hostname: state.hostname || null,
        bmcAddress: state.bmcAddress || null,
        status: state.status,
        capacityOverrideReason: state.capacityOverrideReason || null,
      });
      // What the new object changes: lists, the rack and hall views, and the power and cooling figures.
      await queryClient.invalidateQueries({ queryKey: trpc.racks.pathKey() });
      await queryClient.invalidateQueries({ queryKey: trpc.devices.pathKey() });
      await queryClient.invalidateQueries({ queryKey: trpc.halls.pathKey() });
      await queryClient.invalidateQueries({ queryKey: trpc.power.pathKey() });
      await queryClient.invalidateQueries({ queryKey: trpc.cooling.pathKey() });
      await queryClient.invalidateQueries({ queryKey: trpc.changes.pathKey() });
      router.push(state.rackId ? `/racks/${state.rackId}` : `/devices/${device.id}`);
    } catch (error) {
      setErrors(fieldErrorsOf(error));
    }
  }

  const invalid = (key: string) => (errors[key] ? true : undefined);
  return (
    <>
      <PageHeader title="New device" crumbs={[{ href: '/', label: 'Overview' }, { href: '/devices', label: 'Devices' }]} />
      <Card title="Device">
        <form onSubmit={submit} noValidate className="grid max-w-2xl grid-cols-2 gap-4" aria-label="New device">
          {errors.form && (
            <p role="alert" className="col-span-2 text-sm text-red-700">
              {errors.form}
            </p>
          )}
          <Field id="deviceTypeId" label="Device type" error={errors.deviceTypeId} hint={type ? `${type.uHeight} U${type.isFullDepth ? ', full depth' : ''} · ${type.weightKg} kg · ${formatPowerW(type.nameplatePowerW)} nameplate` : undefined}>
            <select id="deviceTypeId" className={inputClass} value={state.deviceTypeId} onChange={set('deviceTypeId')} aria-invalid={invalid('deviceTypeId')}>
              <option value="">Choose a type…</option>
              {types.data?.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.manufacturer} {t.model} ({t.kind}, {t.uHeight} U)
                </option>
              ))}
            </select>
          </Field>
          <Field id="name" label="Name" error={errors.name} hint="Unique; letters, digits, . _ -">
            <input id="name" className={inputClass} value={state.name} onChange={set('name')} aria-invalid={invalid('name')} autoComplete="off" />
          </Field>
          <Field id="rackId" label="Rack" error={errors.rackId} hint="Empty: not racked (in storage)">
            <select id="rackId" className={inputClass} value={state.rackId} onChange={set('rackId')} aria-invalid={invalid('rackId')}>
              <option value="">(not racked)</option>
              {racks.data?.items.map((rack) => (
                <option key={rack.id} value={rack.id}>
                  {rack.hallName} · {rack.name}
                </option>
              ))}
            </select>
          </Field>
          <Field id="position" label="Position (lowest U)" error={errors.position}>
            <input id="position" type="number" inputMode="numeric" className={inputClass} value={state.position} onChange={set('position')} aria-invalid={invalid('position')} disabled={!state.rackId} />
          </Field>
          <Field id="face" label="Face" error={errors.face}>
            <select id="face" className={inputClass} value={state.face} onChange={set('face')} disabled={!state.rackId}>
              <option value="front">front</option>
              <option value="rear">rear</option>
            </select>
          </Field>
          <Field id="status" label="Status" error={errors.status}>
            <select id="status" className={inputClass} value={state.status} onChange={set('status')}>
              {STATUSES.map((status) => (
                <option key={status} value={status}>
                  {status}
                </option>
              ))}
            </select>
          </Field>
          <Field id="hostname" label="Hostname" error={errors.hostname}>
            <input id="hostname" className={inputClass} value={state.hostname} onChange={set('hostname')} aria-invalid={invalid('hostname')} autoComplete="off" />
          </Field>
          <Field id="bmcAddress" label="BMC address" error={errors.bmcAddress}>
            <input id="bmcAddress" className={inputClass} value={state.bmcAddress} onChange={set('bmcAddress')} aria-invalid={invalid('bmcAddress')} autoComplete="off" />
          </Field>
          <Field id="serial" label="Serial" error={errors.serial}>
            <input id="serial" className={inputClass} value={state.serial} onChange={set('serial')} autoComplete="off" />
          </Field>
          <Field id="assetTag" label="Asset tag" error={errors.assetTag}>
            <input id="assetTag" className={inputClass} value={state.assetTag} onChange={set('assetTag')} aria-invalid={invalid('assetTag')} autoComplete="off" />
          </Field>
          {(errors.rackId?.includes('override') || state.capacityOverrideReason) && (
            <Field id="capacityOverrideReason" label="Override reason" error={errors.capacityOverrideReason} hint="Places the device past the power and cooling check; kept in the change and audit logs">
              <input id="capacityOverrideReason" className={inputClass} value={state.capacityOverrideReason} onChange={set('capacityOverrideReason')} aria-invalid={invalid('capacityOverrideReason')} autoComplete="off" />
            </Field>
          )}
          <div className="col-span-2">
            <SubmitButton pending={create.isPending}>Create device</SubmitButton>
          </div>
        </form>
      </Card>
    </>
  );
}
