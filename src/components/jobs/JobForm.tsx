'use client';

import { useMutation, useQuery } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { type FormEvent, useState } from 'react';
import { Field, inputClass, SubmitButton } from '@/components/forms/Field';
import { type FieldErrors, fieldErrorsOf } from '@/components/forms/fieldErrors';
import { Card } from '@/components/ui/Card';
import { ButtonLink, PageHeader } from '@/components/ui/PageHeader';
import { tpuGenerations } from '@/domain/accelerators';
import { useTRPC } from '@/trpc/client';
import { ZONE_LEVELS } from './JobStatus';

const KINDS = ['training', 'inference', 'batch'] as const;
const TOPOLOGIES = ['none', 'nvlink-domain', 'leaf', 'rack'] as const;
/** The server's defaults per kind (src/server/services/scheduler/defaults.ts), shown as placeholders. */
const DEFAULT_W: Record<(typeof KINDS)[number], number> = { training: 700, inference: 450, batch: 550 };

/** Empty text → undefined, so the server's default applies; anything else a number (NaN is reported by the server). */
const num = (value: string) => (value.trim() === '' ? undefined : Number(value));

/** TPU generations a job may ask a slice of, with a shape example each (3D: x×y×z in chips; 2D: x×y). */
const TPU_CHOICES = tpuGenerations().map((g) => ({ id: g.id, model: g.model, example: g.tpu!.torus === '3d' ? '2x2x4' : '4x8' }));

export function JobForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const tenants = useQuery(trpc.tenants.list.queryOptions());
  const models = useQuery(trpc.jobs.gpuModels.queryOptions());
  const submit = useMutation(trpc.jobs.submit.mutationOptions());
  const [errors, setErrors] = useState<FieldErrors>({});
  const [state, setState] = useState({
    kind: 'training' as (typeof KINDS)[number],
    name: '',
    tenant: '',
    workers: '1',
    replicas: '1',
    gpusPerWorker: '8',
    sharePct: '',
    gpuModel: '',
    cpuCores: '',
    memoryGib: '',
    priority: '0',
    preemptible: false,
    topology: 'none' as (typeof TOPOLOGIES)[number],
    replicaSpread: 'server' as 'server' | 'rack' | 'none',
    requiredZoneLevel: '0',
    durationMin: '60',
    powerW: '',
    /** '' = GPUs; else the TPU generation of the slice. */
    tpuGeneration: '',
    tpuShape: '',
  });
  const set = (key: keyof typeof state) => (event: { target: { value: string } }) => setState((s) => ({ ...s, [key]: event.target.value }));
  const inference = state.kind === 'inference';
  const tpu = !inference && state.tpuGeneration !== '';
  const tpuChoice = TPU_CHOICES.find((c) => c.id === state.tpuGeneration);
  const tenant = tenants.data?.find((t) => t.name === state.tenant);

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    setErrors({});
    const sharePct = num(state.sharePct);
    const duration = num(state.durationMin);
    const cpuCores = num(state.cpuCores);
    const memoryGib = num(state.memoryGib);
    try {
      if (tpu) {
        const job = await submit.mutateAsync({
          kind: state.kind,
          name: state.name,
          tenant: state.tenant,
          tpu: { generation: state.tpuGeneration, shape: state.tpuShape },
          priority: num(state.priority) ?? 0,
          preemptible: state.preemptible,
          requiredZoneLevel: Number(state.requiredZoneLevel),
          estimatedDurationS: duration === undefined ? null : Math.round(duration * 60),
          expectedPowerWPerGpu: num(state.powerW) ?? null,
        });
        router.push(`/jobs/${job.id}`);
        return;
      }
      const job = await submit.mutateAsync({
        kind: state.kind,
        name: state.name,
        tenant: state.tenant,
        workers: inference ? 1 : (num(state.workers) ?? 1),
        replicas: inference ? (num(state.replicas) ?? 1) : 1,
        gpusPerWorker: num(state.gpusPerWorker) ?? 0,
        gpuMilli: sharePct === undefined ? 0 : Math.round(sharePct * 10),
        gpuModels: state.gpuModel ? [state.gpuModel] : [],
        cpuMilli: cpuCores === undefined ? null : Math.round(cpuCores * 1000),
        memoryMib: memoryGib === undefined ? null : Math.round(memoryGib * 1024),
        priority: num(state.priority) ?? 0,
        preemptible: state.preemptible,
        topology: inference ? 'none' : state.topology,
        replicaSpread: state.replicaSpread,
        requiredZoneLevel: Number(state.requiredZoneLevel),
        estimatedDurationS: duration === undefined ? null : Math.round(duration * 60),
        expectedPowerWPerGpu: num(state.powerW) ?? null,
      });
      router.push(`/jobs/${job.id}`);
    } catch (error) {
      setErrors(fieldErrorsOf(error));
    }
  }

  const invalid = (key: string) => (errors[key] ? true : undefined);
  if (tenants.data && tenants.data.length === 0) {
    // Every job belongs to a tenant: with none, the form could never submit, so say what to do instead.
    return (
      <>
        <PageHeader title="Submit job" crumbs={[{ href: '/', label: 'Overview' }, { href: '/jobs', label: 'Jobs' }]} />
        <Card title="No tenants yet">
          <div className="space-y-3 text-sm text-slate-700" data-testid="no-tenants">
            <p>Every job runs for a tenant, whose GPU quota and security clearance the scheduler enforces. There are no tenants yet.</p>
            <p>
              An admin creates one on the tenants page, or with <code>npx plenum tenants create &lt;name&gt; --quota &lt;GPUs&gt;</code>.
            </p>
            <ButtonLink href="/tenants">Create a tenant</ButtonLink>
          </div>
        </Card>
      </>
    );
  }
  return (
    <>
      <PageHeader title="Submit job" crumbs={[{ href: '/', label: 'Overview' }, { href: '/jobs', label: 'Jobs' }]} />
      <Card title="Job">
        <form onSubmit={onSubmit} noValidate className="grid max-w-3xl grid-cols-2 gap-4 md:grid-cols-3" aria-label="Submit job">
          {errors.form && (
            <p role="alert" className="col-span-full text-sm text-red-700">
              {errors.form}
            </p>
          )}
          <Field id="kind" label="Kind" error={errors.kind} hint={inference ? 'A service: replicas placed independently, runs until cancelled' : 'A gang: all workers placed together or none'}>
            <select id="kind" className={inputClass} value={state.kind} onChange={(e) => setState((s) => ({ ...s, kind: e.target.value as typeof s.kind, durationMin: e.target.value === 'inference' ? '' : s.durationMin || '60', gpusPerWorker: e.target.value === 'inference' ? '1' : s.gpusPerWorker }))}>
              {KINDS.map((k) => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
            </select>
          </Field>
          <Field id="name" label="Name" error={errors.name} hint="Letters, digits, . _ -">
            <input id="name" className={inputClass} value={state.name} onChange={set('name')} aria-invalid={invalid('name')} autoComplete="off" />
          </Field>
          <Field id="tenant" label="Tenant" error={errors.tenant} hint={tenant ? `quota ${tenant.gpuQuota} GPUs, ${tenant.usedGpus} in use · cleared to ${ZONE_LEVELS[tenant.clearedZoneLevel]}` : undefined}>
            <select id="tenant" className={inputClass} value={state.tenant} onChange={set('tenant')} aria-invalid={invalid('tenant')}>
              <option value="">Choose a tenant…</option>
              {tenants.data?.map((t) => (
                <option key={t.id} value={t.name}>
                  {t.name}
                </option>
              ))}
            </select>
          </Field>
          {!inference && (
            <Field id="tpuGeneration" label="Accelerator" error={errors.tpu ?? errors['tpu.generation']} hint={tpu ? 'A TPU slice: a contiguous sub-torus of one pod' : 'GPUs, or a TPU slice'}>
              <select id="tpuGeneration" className={inputClass} value={state.tpuGeneration} onChange={(e) => setState((s) => ({ ...s, tpuGeneration: e.target.value, tpuShape: s.tpuShape || (TPU_CHOICES.find((c) => c.id === e.target.value)?.example ?? '') }))}>
                <option value="">GPUs</option>
                {TPU_CHOICES.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.model} slice
                  </option>
                ))}
              </select>
            </Field>
          )}
          {tpu && (
            <Field id="tpuShape" label="Slice shape (chips)" error={errors['tpu.shape']} hint={`Like ${tpuChoice?.example ?? '2x2x4'}; over one 4×4×4 cube: whole cubes`}>
              <input id="tpuShape" className={inputClass} value={state.tpuShape} onChange={set('tpuShape')} aria-invalid={invalid('tpu.shape')} autoComplete="off" />
            </Field>
          )}
          {tpu ? null : inference ? (
            <Field id="replicas" label="Replicas" error={errors.replicas}>
              <input id="replicas" type="number" inputMode="numeric" min={1} className={inputClass} value={state.replicas} onChange={set('replicas')} aria-invalid={invalid('replicas')} />
            </Field>
          ) : (
            <Field id="workers" label="Workers" error={errors.workers}>
              <input id="workers" type="number" inputMode="numeric" min={1} className={inputClass} value={state.workers} onChange={set('workers')} aria-invalid={invalid('workers')} />
            </Field>
          )}
          {!tpu && (
          <>
          <Field id="gpusPerWorker" label={inference ? 'GPUs per replica' : 'GPUs per worker'} error={errors.gpusPerWorker} hint="0-8 whole GPUs">
            <input id="gpusPerWorker" type="number" inputMode="numeric" min={0} max={8} className={inputClass} value={state.gpusPerWorker} onChange={set('gpusPerWorker')} aria-invalid={invalid('gpusPerWorker')} />
          </Field>
          <Field id="gpuMilli" label="GPU share (%)" error={errors.gpuMilli} hint="Part of one GPU, 0.1-99.9 %; empty for whole GPUs">
            <input id="gpuMilli" type="number" inputMode="decimal" step="0.1" className={inputClass} value={state.sharePct} onChange={set('sharePct')} aria-invalid={invalid('gpuMilli')} />
          </Field>
          <Field id="gpuModels" label="GPU model" error={errors.gpuModels}>
            <select id="gpuModels" className={inputClass} value={state.gpuModel} onChange={set('gpuModel')}>
              <option value="">any model</option>
              {models.data?.map((m) => (
                <option key={m.name} value={m.name}>
                  {m.name} ({m.count} GPUs, {Math.round(m.memoryGib)} GiB)
                </option>
              ))}
            </select>
          </Field>
          <Field id="cpuMilli" label={`CPU cores per ${inference ? 'replica' : 'worker'}`} error={errors.cpuMilli} hint="Empty: the GPUs' share of the server's cores">
            <input id="cpuMilli" type="number" inputMode="decimal" placeholder="share of server" className={inputClass} value={state.cpuCores} onChange={set('cpuCores')} aria-invalid={invalid('cpuMilli')} />
          </Field>
          <Field id="memoryMib" label={`Memory per ${inference ? 'replica' : 'worker'} (GiB)`} error={errors.memoryMib} hint="Empty: the GPUs' share of the server's memory">
            <input id="memoryMib" type="number" inputMode="decimal" placeholder="share of server" className={inputClass} value={state.memoryGib} onChange={set('memoryGib')} aria-invalid={invalid('memoryMib')} />
          </Field>
          </>
          )}
          {inference && (
            <Field id="replicaSpread" label="Spread replicas" error={errors.replicaSpread} hint="So one failure cannot take the whole service down">
              <select id="replicaSpread" className={inputClass} value={state.replicaSpread} onChange={set('replicaSpread')}>
                <option value="server">one per server</option>
                <option value="rack">one per rack</option>
                <option value="none">anywhere</option>
              </select>
            </Field>
          )}
          {!inference && !tpu && (
            <Field id="topology" label="Topology" error={errors.topology} hint="Keep the gang within one NVLink domain, leaf switch or rack">
              <select id="topology" className={inputClass} value={state.topology} onChange={set('topology')}>
                {TOPOLOGIES.map((t) => (
                  <option key={t} value={t}>
                    {t}
                  </option>
                ))}
              </select>
            </Field>
          )}
          <Field id="requiredZoneLevel" label="Security zone (at least)" error={errors.requiredZoneLevel}>
            <select id="requiredZoneLevel" className={inputClass} value={state.requiredZoneLevel} onChange={set('requiredZoneLevel')} aria-invalid={invalid('requiredZoneLevel')}>
              {ZONE_LEVELS.map((z, i) => (
                <option key={z} value={i}>
                  {z}
                </option>
              ))}
            </select>
          </Field>
          <Field id="priority" label="Priority" error={errors.priority} hint="-1000 to 1000; higher may preempt lower">
            <input id="priority" type="number" inputMode="numeric" className={inputClass} value={state.priority} onChange={set('priority')} aria-invalid={invalid('priority')} />
          </Field>
          <Field id="estimatedDurationS" label="Estimated duration (min)" error={errors.estimatedDurationS} hint="Empty: runs until cancelled">
            <input id="estimatedDurationS" type="number" inputMode="decimal" className={inputClass} value={state.durationMin} onChange={set('durationMin')} aria-invalid={invalid('estimatedDurationS')} />
          </Field>
          <Field id="expectedPowerWPerGpu" label={tpu ? 'Expected power per chip (W)' : 'Expected power per GPU (W)'} error={errors.expectedPowerWPerGpu} hint={tpu ? "Empty: the generation's power per chip at load" : `Empty: ${DEFAULT_W[state.kind]} W for ${state.kind}`}>
            <input id="expectedPowerWPerGpu" type="number" inputMode="numeric" placeholder={tpu ? 'at load' : String(DEFAULT_W[state.kind])} className={inputClass} value={state.powerW} onChange={set('powerW')} aria-invalid={invalid('expectedPowerWPerGpu')} />
          </Field>
          <div className="flex items-center gap-2 self-end pb-2">
            <input id="preemptible" type="checkbox" checked={state.preemptible} onChange={(e) => setState((s) => ({ ...s, preemptible: e.target.checked }))} />
            <label htmlFor="preemptible" className="text-sm text-slate-700">
              Preemptible
            </label>
          </div>
          <div className="col-span-full">
            <SubmitButton pending={submit.isPending}>Submit job</SubmitButton>
          </div>
        </form>
      </Card>
    </>
  );
}
