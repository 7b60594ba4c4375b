'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { fieldErrorsOf } from '@/components/forms/fieldErrors';
import { Field, inputClass, SubmitButton } from '@/components/forms/Field';
import { Card, EmptyState } from '@/components/ui/Card';
import { ErrorMessage, Loading } from '@/components/ui/Loading';
import { PageHeader } from '@/components/ui/PageHeader';
import { useTRPC } from '@/trpc/client';
import { useMe } from './useMe';
import { ZonePicker } from './ZonePicker';
import { formatDateTime } from '@/domain/units';

const ROLES = ['viewer', 'operator', 'planner', 'admin'] as const;
type Role = (typeof ROLES)[number];

/** /admin/tokens: API tokens (admins see everyone's); create one (the secret is shown once) and revoke. */
export function TokensAdmin() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const me = useMe();
  const isAdmin = Boolean(me.data?.permissions.includes('admin'));
  const all = useQuery(trpc.tokens.list.queryOptions(undefined, { enabled: isAdmin }));
  const mine = useQuery(trpc.tokens.mine.queryOptions(undefined, { enabled: Boolean(me.data) && !isAdmin }));
  const tokens = isAdmin ? all : mine;
  const create = useMutation(trpc.tokens.create.mutationOptions());
  const revoke = useMutation(trpc.tokens.revoke.mutationOptions());
  const empty = { name: '', role: 'viewer' as Role, allZones: true, zoneIds: [] as number[], expiresInDays: '' };
  const [form, setForm] = useState(empty);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [secret, setSecret] = useState<string>();
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.tokens.pathKey() });

  async function submit(event: FormEvent) {
    event.preventDefault();
    setErrors({});
    setSecret(undefined);
    try {
      const created = await create.mutateAsync({ name: form.name, role: form.role, allZones: form.allZones, zoneIds: form.zoneIds, expiresInDays: form.expiresInDays ? Number(form.expiresInDays) : null });
      setSecret(created.secret);
      setForm(empty);
      await refresh();
      // Make sure the list on screen includes the new token before the form is used again.
      await tokens.refetch();
    } catch (e) {
      setErrors(fieldErrorsOf(e));
    }
  }

  return (
    <>
      <PageHeader title="API tokens" crumbs={[{ href: '/', label: 'Overview' }]} />
      <div className="grid gap-6 lg:grid-cols-3">
        <div className="lg:col-span-2">
          <Card title={isAdmin ? 'All tokens' : 'Your tokens'}>
            {/* A failed refresh keeps the list on screen (with its error): the tokens did not go away. */}
            {tokens.error && <ErrorMessage error={tokens.error} />}
            {tokens.data === undefined ? (
              !tokens.error && <Loading />
            ) : tokens.data.length === 0 ? (
              <EmptyState>No tokens yet.</EmptyState>
            ) : (
              <table className="w-full text-sm" data-testid="tokens">
                <thead>
                  <tr className="text-left text-slate-500">
                    <th>Name</th>
                    <th>User</th>
                    <th>Role · zones</th>
                    <th>Expires</th>
                    <th>Last used</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {tokens.data.map((token) => (
                    <tr key={token.id} className="border-t border-slate-100" data-testid="token-row">
                      <td className="py-1.5">
                        {token.name} <span className="font-mono text-xs text-slate-500">{token.prefix}…</span>
                      </td>
                      <td>{token.username}</td>
                      <td>
                        {token.role} · {token.allZones ? 'all zones' : token.zones.map((z) => z.name).join(', ')}
                      </td>
                      <td className="text-slate-500">{token.expiresAt ? formatDateTime(token.expiresAt) : 'never'}</td>
                      <td className="text-slate-500">{token.lastUsedAt ? `${formatDateTime(token.lastUsedAt)} from ${token.lastUsedAddress ?? '?'}` : 'never'}</td>
                      <td>
                        {token.revokedAt ? (
                          <span className="text-xs text-red-700">revoked</span>
                        ) : (
                          <button
                            type="button"
                            className="text-sm text-red-700 hover:underline"
                            aria-label={`Revoke ${token.name}`}
                            onClick={async () => {
                              await revoke.mutateAsync({ id: token.id });
                              await refresh();
                            }}
                          >
                            Revoke
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Card>
        </div>
        <Card title="New token">
          {secret && (
            <div role="status" className="mb-4 rounded border border-amber-300 bg-amber-50 p-3 text-sm">
              <p className="mb-1 font-medium">Copy this token now: it is not shown again.</p>
              <code className="break-all font-mono text-xs" data-testid="token-secret">
                {secret}
              </code>
            </div>
          )}
          <form onSubmit={submit} className="flex flex-col gap-3" aria-label="New token">
            <Field id="token-name" label="Name" error={errors.name}>
              <input id="token-name" className={inputClass} required maxLength={64} value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
            </Field>
            <Field id="token-role" label="Role" hint="At most your own role" error={errors.role}>
              <select id="token-role" className={inputClass} value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value as Role })}>
                {ROLES.map((role) => (
                  <option key={role}>{role}</option>
                ))}
              </select>
            </Field>
            <Field id="token-expires" label="Expires after (days)" hint="Empty: never" error={errors.expiresInDays}>
              <input id="token-expires" type="number" min={1} max={3650} className={inputClass} value={form.expiresInDays} onChange={(e) => setForm({ ...form, expiresInDays: e.target.value })} />
            </Field>
            <ZonePicker idPrefix="token" allZones={form.allZones} zoneIds={form.zoneIds} onChange={(zones) => setForm({ ...form, ...zones })} />
            {(errors.zoneIds || errors.form) && (
              <p role="alert" className="text-sm text-red-700">
                {errors.zoneIds ?? errors.form}
              </p>
            )}
            <SubmitButton pending={create.isPending}>Create token</SubmitButton>
          </form>
        </Card>
      </div>
    </>
  );
}
