'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Can } from '@/components/auth/Can';
import { Field, inputClass, SubmitButton } from '@/components/forms/Field';
import { type FieldErrors, fieldErrorsOf } from '@/components/forms/fieldErrors';
import { Card, EmptyState } from '@/components/ui/Card';
import { useTRPC } from '@/trpc/client';

/** Inject and clear simulator faults: what `plenum sim fault|clear` does, for operators in the browser. */
export function SimulatorFaults() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const kinds = useQuery(trpc.simulator.kinds.queryOptions());
  const faults = useQuery({ ...trpc.simulator.list.queryOptions(), refetchInterval: 5_000 });
  const inject = useMutation(trpc.simulator.inject.mutationOptions());
  const clear = useMutation(trpc.simulator.clear.mutationOptions());
  const [form, setForm] = useState({ kind: 'cooling-unit-failure', target: '' });
  const [errors, setErrors] = useState<FieldErrors>({});
  const hint = kinds.data?.find((k) => k.kind === form.kind)?.target;
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.simulator.pathKey() });

  async function submit(event: FormEvent) {
    event.preventDefault();
    setErrors({});
    try {
      await inject.mutateAsync(form);
      setForm({ ...form, target: '' });
      await refresh();
    } catch (error) {
      setErrors(fieldErrorsOf(error));
    }
  }

  return (
    <Card title="Simulator faults" testId="sim-faults">
      {faults.isError ? (
        <p className="text-sm text-slate-500">The hardware simulator is not running in this process ({faults.error.message}).</p>
      ) : (
        <>
          {faults.data && faults.data.length === 0 ? (
            <EmptyState>No fault is active.</EmptyState>
          ) : (
            <ul className="mb-3 space-y-1 text-sm" data-testid="active-faults">
              {faults.data?.map((fault) => (
                <li key={fault.id} className="flex items-center gap-2">
                  <span className="font-mono text-xs">{fault.kind}</span> on <span className="font-medium">{fault.target}</span>
                  <span className="text-slate-500">({fault.origin})</span>
                  <Can any={['operate']}>
                    <button
                      type="button"
                      className="rounded border border-slate-300 px-2 py-0.5 text-xs hover:bg-slate-50"
                      onClick={async () => {
                        await clear.mutateAsync({ id: fault.id });
                        await refresh();
                      }}
                    >
                      Clear
                    </button>
                  </Can>
                </li>
              ))}
            </ul>
          )}
          <Can any={['operate']}>
            <form onSubmit={submit} className="flex flex-wrap items-end gap-3" aria-label="Inject a fault">
              <Field id="fault-kind" label="Fault" error={errors.kind}>
                <select id="fault-kind" className={inputClass} value={form.kind} onChange={(e) => setForm({ ...form, kind: e.target.value })}>
                  {kinds.data?.map((k) => (
                    <option key={k.kind} value={k.kind}>
                      {k.kind}
                    </option>
                  ))}
                </select>
              </Field>
              <Field id="fault-target" label="Target" hint={hint} error={errors.target}>
                <input id="fault-target" className={inputClass} value={form.target} onChange={(e) => setForm({ ...form, target: e.target.value })} autoComplete="off" />
              </Field>
              <SubmitButton pending={inject.isPending}>Inject</SubmitButton>
            </form>
          </Can>
          {errors.form && <p className="mt-2 text-sm text-red-700">{errors.form}</p>}
        </>
      )}
    </Card>
  );
}

type TargetDialectChoice = 'dcgm' | 'nvidia-smi' | 'prometheus' | 'plenum' | 'amd' | 'tpu' | 'snmp' | 'redfish' | 'modbus';

/**
 * Register a real exporter as a scrape target, or a UPS / PDU / cooling unit / meter to poll over SNMP or Modbus TCP:
 * what `plenum targets add` does. For SNMP the form asks for the device profile, the facility object the readings land
 * on, and either a v2c community or SNMPv3 user and keys (sent once, never shown again); for Modbus the register map,
 * the unit id and the facility object.
 */
export function AddTarget() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const add = useMutation(trpc.telemetry.targets.add.mutationOptions());
  const choices = useQuery(trpc.telemetry.collectorChoices.queryOptions());
  const [form, setForm] = useState({
    url: '',
    dialect: 'dcgm' as TargetDialectChoice,
    interval: '10s',
    host: '',
    profile: '',
    device: '',
    map: '',
    unitId: '1',
    snmpVersion: '2c' as '2c' | '3',
    community: '',
    user: '',
    authKey: '',
    privKey: '',
    redfishUser: '',
    redfishPassword: '',
    redfishAuth: 'session' as 'session' | 'basic' | 'none',
    caPem: '',
    insecureSkipVerify: false,
  });
  const [errors, setErrors] = useState<FieldErrors>({});
  const snmp = form.dialect === 'snmp';
  const modbus = form.dialect === 'modbus';
  const redfish = form.dialect === 'redfish';

  /** Redfish: auth mode, CA or (labs) no verification, and the BMC account (sent once, never shown again). */
  function redfishInput() {
    const options = {
      auth: form.redfishAuth,
      ...(form.caPem.trim() ? { caPem: form.caPem } : {}),
      ...(form.insecureSkipVerify ? { insecureSkipVerify: true } : {}),
    };
    const credentials = form.redfishAuth === 'none' ? {} : { username: form.redfishUser, password: form.redfishPassword };
    return { options, credentials, ...(form.device ? { device: form.device } : {}) };
  }

  function snmpInput() {
    const credentials =
      form.snmpVersion === '3'
        ? { user: form.user, authProtocol: 'sha' as const, authKey: form.authKey, privProtocol: 'aes' as const, ...(form.privKey ? { privKey: form.privKey } : {}) }
        : form.community
          ? { community: form.community }
          : {};
    return { options: { profile: form.profile }, credentials, ...(form.device ? { device: form.device } : {}) };
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setErrors({});
    try {
      await add.mutateAsync({
        url: form.url,
        dialect: form.dialect,
        interval: form.interval,
        ...(snmp
          ? snmpInput()
          : redfish
            ? redfishInput()
            : modbus
              ? { options: { map: form.map, unitId: Number(form.unitId) }, ...(form.device ? { device: form.device } : {}) }
              : { host: form.host || undefined }),
      });
      setForm({ ...form, url: '', host: '', device: '', community: '', authKey: '', privKey: '', redfishPassword: '' });
      await queryClient.invalidateQueries({ queryKey: trpc.telemetry.targets.pathKey() });
    } catch (error) {
      setErrors(fieldErrorsOf(error));
    }
  }

  // The facility object a collector target's readings land on (SNMP, Redfish and Modbus).
  const deviceField = (
    <Field id="target-device" label="Reads (facility object)" error={errors.device} hint="the UPS, PDU, meter or cooling unit its readings land on">
      <select id="target-device" className={inputClass} value={form.device} onChange={(e) => setForm({ ...form, device: e.target.value })}>
        <option value="">none (readings stay unmapped)</option>
        {(choices.data?.devices ?? []).map((d) => (
          <option key={`${d.site}/${d.name}`} value={`${d.site}/${d.name}`}>
            {d.name} ({d.kind}, {d.site})
          </option>
        ))}
      </select>
    </Field>
  );

  const credentialError = (key: string) => errors[`credentials.${key}`] ?? (key === 'community' ? errors.credentials : undefined);

  return (
    <Can any={['operate']}>
      <Card title="Add a scrape target" testId="add-target">
        <form onSubmit={submit} className="flex flex-wrap items-end gap-3" aria-label="Add a scrape target">
          <Field
            id="target-url"
            label="URL"
            error={errors.url}
            hint={snmp ? 'e.g. snmp://ups-a.mgmt:161' : redfish ? 'e.g. https://pdu-r12-a.mgmt/redfish/v1' : modbus ? 'e.g. modbus://10.0.0.5:502' : 'e.g. http://gpu-node-17:9400/metrics'}
          >
            <input id="target-url" className={`${inputClass} w-80`} value={form.url} onChange={(e) => setForm({ ...form, url: e.target.value })} autoComplete="off" />
          </Field>
          <Field id="target-dialect" label="Exporter" error={errors.dialect}>
            <select id="target-dialect" className={inputClass} value={form.dialect} onChange={(e) => setForm({ ...form, dialect: e.target.value as TargetDialectChoice })}>
              <option value="dcgm">dcgm-exporter</option>
              <option value="nvidia-smi">nvidia_gpu_exporter</option>
              <option value="amd">AMD Device Metrics Exporter</option>
              <option value="tpu">GKE TPU device plugin</option>
              <option value="prometheus">Prometheus text</option>
              <option value="plenum">Plenum facility</option>
              <option value="snmp">SNMP agent (UPS, PDU, sensors)</option>
              <option value="redfish">Redfish service (PDU, CDU, server BMC)</option>
              <option value="modbus">Modbus TCP (CDU, CRAH, meter)</option>
            </select>
          </Field>
          <Field id="target-interval" label="Interval" error={errors.interval}>
            <input id="target-interval" className={`${inputClass} w-24`} value={form.interval} onChange={(e) => setForm({ ...form, interval: e.target.value })} />
          </Field>
          {snmp ? (
            <>
              <Field id="target-profile" label="Device profile" error={errors['options.profile'] ?? errors.options}>
                <select id="target-profile" className={inputClass} value={form.profile} onChange={(e) => setForm({ ...form, profile: e.target.value })}>
                  <option value="">choose a profile…</option>
                  {(choices.data?.snmpProfiles ?? []).map((p) => (
                    <option key={p.name} value={p.name}>
                      {p.name}: {p.description}
                    </option>
                  ))}
                </select>
              </Field>
              {deviceField}
              <Field id="target-snmp-version" label="SNMP version">
                <select id="target-snmp-version" className={inputClass} value={form.snmpVersion} onChange={(e) => setForm({ ...form, snmpVersion: e.target.value as '2c' | '3' })}>
                  <option value="2c">v2c (community)</option>
                  <option value="3">v3 (SHA / AES)</option>
                </select>
              </Field>
              {form.snmpVersion === '2c' ? (
                <Field id="target-community" label="Community" error={credentialError('community')} hint="default: public">
                  <input id="target-community" type="password" className={inputClass} value={form.community} onChange={(e) => setForm({ ...form, community: e.target.value })} autoComplete="off" />
                </Field>
              ) : (
                <>
                  <Field id="target-v3-user" label="v3 user" error={credentialError('user')}>
                    <input id="target-v3-user" className={inputClass} value={form.user} onChange={(e) => setForm({ ...form, user: e.target.value })} autoComplete="off" />
                  </Field>
                  <Field id="target-auth-key" label="Auth key (SHA)" error={credentialError('authKey')}>
                    <input id="target-auth-key" type="password" className={inputClass} value={form.authKey} onChange={(e) => setForm({ ...form, authKey: e.target.value })} autoComplete="off" />
                  </Field>
                  <Field id="target-priv-key" label="Privacy key (AES)" error={credentialError('privKey')} hint="empty: authNoPriv">
                    <input id="target-priv-key" type="password" className={inputClass} value={form.privKey} onChange={(e) => setForm({ ...form, privKey: e.target.value })} autoComplete="off" />
                  </Field>
                </>
              )}
            </>
          ) : modbus ? (
            <>
              <Field id="target-map" label="Register map" error={errors['options.map'] ?? errors.options}>
                <select id="target-map" className={inputClass} value={form.map} onChange={(e) => setForm({ ...form, map: e.target.value })}>
                  <option value="">choose a map…</option>
                  {(choices.data?.modbusMaps ?? []).map((m) => (
                    <option key={m.name} value={m.name}>
                      {m.name}: {m.description}
                    </option>
                  ))}
                </select>
              </Field>
              <Field id="target-unit-id" label="Unit id" error={errors['options.unitId']} hint="0-255">
                <input id="target-unit-id" className={`${inputClass} w-20`} inputMode="numeric" value={form.unitId} onChange={(e) => setForm({ ...form, unitId: e.target.value })} />
              </Field>
              {deviceField}
            </>
          ) : redfish ? (
            <>
              {deviceField}
              <Field id="target-redfish-auth" label="Auth" error={errors['options.auth']}>
                <select id="target-redfish-auth" className={inputClass} value={form.redfishAuth} onChange={(e) => setForm({ ...form, redfishAuth: e.target.value as typeof form.redfishAuth })}>
                  <option value="session">session (X-Auth-Token)</option>
                  <option value="basic">basic</option>
                  <option value="none">none (open lab service)</option>
                </select>
              </Field>
              {form.redfishAuth !== 'none' && (
                <>
                  <Field id="target-redfish-user" label="User" error={errors['credentials.username'] ?? errors.credentials}>
                    <input id="target-redfish-user" className={inputClass} value={form.redfishUser} onChange={(e) => setForm({ ...form, redfishUser: e.target.value })} autoComplete="off" />
                  </Field>
                  <Field id="target-redfish-password" label="Password" error={errors['credentials.password']}>
                    <input
                      id="target-redfish-password"
                      type="password"
                      className={inputClass}
                      value={form.redfishPassword}
                      onChange={(e) => setForm({ ...form, redfishPassword: e.target.value })}
                      autoComplete="off"
                    />
                  </Field>
                </>
              )}
              <Field id="target-redfish-ca" label="CA certificate (PEM, optional)" error={errors['options.caPem']} hint="the CA that signs the service's certificate">
                <textarea id="target-redfish-ca" className={`${inputClass} h-16 w-80 font-mono text-xs`} value={form.caPem} onChange={(e) => setForm({ ...form, caPem: e.target.value })} />
              </Field>
              <label className="flex items-center gap-1 text-sm" htmlFor="target-redfish-insecure">
                <input id="target-redfish-insecure" type="checkbox" checked={form.insecureSkipVerify} onChange={(e) => setForm({ ...form, insecureSkipVerify: e.target.checked })} />
                skip certificate checks (labs only)
              </label>
            </>
          ) : (
            <Field id="target-host" label="Host (optional)" error={errors.host} hint="for exporters that do not label the host">
              <input id="target-host" className={inputClass} value={form.host} onChange={(e) => setForm({ ...form, host: e.target.value })} autoComplete="off" />
            </Field>
          )}
          <SubmitButton pending={add.isPending}>Add target</SubmitButton>
        </form>
      </Card>
    </Can>
  );
}
