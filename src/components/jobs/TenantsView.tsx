'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Field, inputClass, SubmitButton } from '@/components/forms/Field';
import { type FieldErrors, fieldErrorsOf } from '@/components/forms/fieldErrors';
import { Card, EmptyState } from '@/components/ui/Card';
import { ErrorMessage, Loading } from '@/components/ui/Loading';
import { Meter } from '@/components/ui/Meter';
import { PageHeader, SecondaryLink } from '@/components/ui/PageHeader';
import { useTRPC } from '@/trpc/client';
import { formatGpus, ZONE_LEVELS } from './JobStatus';

export function TenantsView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const tenants = useQuery({ ...trpc.tenants.list.queryOptions(), refetchInterval: 5000 });
  const create = useMutation(trpc.tenants.create.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.tenants.list.queryKey() }) }));
  const [state, setState] = useState({ name: '', gpuQuota: '', clearedZoneLevel: '1' });
  const [errors, setErrors] = useState<FieldErrors>({});

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    setErrors({});
    try {
      await create.mutateAsync({ name: state.name, gpuQuota: state.gpuQuota === '' ? Number.NaN : Number(state.gpuQuota), clearedZoneLevel: Number(state.clearedZoneLevel) });
      setState({ name: '', gpuQuota: '', clearedZoneLevel: '1' });
    } catch (error) {
      setErrors(fieldErrorsOf(error));
    }
  }

  return (
    <>
      <PageHeader title="Tenants" crumbs={[{ href: '/', label: 'Overview' }, { href: '/jobs', label: 'Jobs' }]} actions={<SecondaryLink href="/jobs">Jobs</SecondaryLink>} />
      <div className="grid gap-6 lg:grid-cols-[2fr_1fr]">
        <Card title="Quotas and usage" testId="tenants">
          {tenants.isPending ? (
            <Loading label="Loading tenants" />
          ) : tenants.isError ? (
            <ErrorMessage error={tenants.error} />
          ) : tenants.data.length === 0 ? (
            <EmptyState>No tenants yet. Add one to submit jobs.</EmptyState>
          ) : (
            <ul className="flex flex-col gap-4">
              {tenants.data.map((t) => (
                <li key={t.id} data-testid={`tenant-${t.name}`}>
                  <div className="mb-1 flex justify-between text-sm">
                    <span className="font-medium">{t.name}</span>
                    <span className="text-slate-500">
                      cleared to {ZONE_LEVELS[t.clearedZoneLevel]} · {t.runningJobs} running · {t.pendingJobs} pending
                    </span>
                  </div>
                  <Meter label="GPUs held / quota" used={t.usedGpus} capacity={t.gpuQuota} format={formatGpus} />
                </li>
              ))}
            </ul>
          )}
        </Card>
        <Card title="New tenant">
          <form onSubmit={onSubmit} noValidate className="flex flex-col gap-3" aria-label="New tenant">
            {errors.form && (
              <p role="alert" className="text-sm text-red-700">
                {errors.form}
              </p>
            )}
            <Field id="tenant-name" label="Name" error={errors.name}>
              <input id="tenant-name" className={inputClass} value={state.name} onChange={(e) => setState((s) => ({ ...s, name: e.target.value }))} aria-invalid={errors.name ? true : undefined} autoComplete="off" />
            </Field>
            <Field id="tenant-quota" label="GPU quota (GPUs)" error={errors.gpuQuota} hint="Most GPUs the tenant may hold at once">
              <input id="tenant-quota" type="number" inputMode="numeric" min={0} className={inputClass} value={state.gpuQuota} onChange={(e) => setState((s) => ({ ...s, gpuQuota: e.target.value }))} aria-invalid={errors.gpuQuota ? true : undefined} />
            </Field>
            <Field id="tenant-zone" label="Cleared to zone level" error={errors.clearedZoneLevel}>
              <select id="tenant-zone" className={inputClass} value={state.clearedZoneLevel} onChange={(e) => setState((s) => ({ ...s, clearedZoneLevel: e.target.value }))}>
                {ZONE_LEVELS.map((z, i) => (
                  <option key={z} value={i}>
                    {z}
                  </option>
                ))}
              </select>
            </Field>
            <div>
              <SubmitButton pending={create.isPending}>Add tenant</SubmitButton>
            </div>
          </form>
        </Card>
      </div>
    </>
  );
}
