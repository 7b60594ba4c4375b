'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { fieldErrorsOf } from '@/components/forms/fieldErrors';
import { Field, inputClass, SubmitButton } from '@/components/forms/Field';
import { Card } from '@/components/ui/Card';
import { ErrorMessage, Loading } from '@/components/ui/Loading';
import { PageHeader } from '@/components/ui/PageHeader';
import { useTRPC } from '@/trpc/client';
import { ZonePicker } from './ZonePicker';
import { formatDateTime } from '@/domain/units';

const ROLES = ['viewer', 'operator', 'planner', 'admin'] as const;
type Role = (typeof ROLES)[number];

/** /admin/users: every account with role and zones; create accounts, change roles, disable. */
export function UsersAdmin() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const users = useQuery(trpc.users.list.queryOptions());
  const create = useMutation(trpc.users.create.mutationOptions());
  const update = useMutation(trpc.users.update.mutationOptions());
  const empty = { username: '', displayName: '', role: 'viewer' as Role, password: '', allZones: true, zoneIds: [] as number[] };
  const [form, setForm] = useState(empty);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [notice, setNotice] = useState<string>();
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.users.pathKey() });

  async function submit(event: FormEvent) {
    event.preventDefault();
    setErrors({});
    try {
      const user = await create.mutateAsync(form);
      setNotice(`Created ${user.username} (${user.role}).`);
      setForm(empty);
      await refresh();
    } catch (e) {
      setErrors(fieldErrorsOf(e));
    }
  }

  async function change(id: number, changes: { role?: Role; disabled?: boolean }) {
    setNotice(undefined);
    try {
      await update.mutateAsync({ id, changes });
      await refresh();
    } catch (e) {
      setNotice(Object.values(fieldErrorsOf(e)).join('; '));
    }
  }

  return (
    <>
      <PageHeader title="Users" crumbs={[{ href: '/', label: 'Overview' }]} />
      <div className="grid gap-6 lg:grid-cols-3">
        <div className="lg:col-span-2">
          <Card title="Accounts">
            {users.isPending ? (
              <Loading />
            ) : users.error ? (
              <ErrorMessage error={users.error} />
            ) : (
              <table className="w-full text-sm" data-testid="users">
                <thead>
                  <tr className="text-left text-slate-500">
                    <th>User</th>
                    <th>Role</th>
                    <th>Zones</th>
                    <th>Last sign-in</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {users.data.map((user) => (
                    <tr key={user.id} className="border-t border-slate-100" data-testid="user-row">
                      <td className="py-1.5">
                        {user.username}
                        {user.disabled && <span className="ml-2 text-xs text-red-700">disabled</span>}
                      </td>
                      <td>
                        <select aria-label={`Role of ${user.username}`} className={inputClass} value={user.role} onChange={(e) => change(user.id, { role: e.target.value as Role })}>
                          {ROLES.map((role) => (
                            <option key={role}>{role}</option>
                          ))}
                        </select>
                      </td>
                      <td>{user.allZones ? 'all' : user.zones.map((z) => z.name).join(', ')}</td>
                      <td className="text-slate-500">{user.lastLoginAt ? formatDateTime(user.lastLoginAt) : 'never'}</td>
                      <td>
                        <button type="button" className="text-sm text-sky-700 hover:underline" onClick={() => change(user.id, { disabled: !user.disabled })}>
                          {user.disabled ? 'Enable' : 'Disable'}
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            {notice && (
              <p role="status" className="mt-3 text-sm text-slate-700">
                {notice}
              </p>
            )}
          </Card>
        </div>
        <Card title="New user">
          <form onSubmit={submit} className="flex flex-col gap-3" aria-label="New user">
            <Field id="username" label="Username" error={errors.username}>
              <input id="username" className={inputClass} required maxLength={64} value={form.username} onChange={(e) => setForm({ ...form, username: e.target.value })} />
            </Field>
            <Field id="role" label="Role" error={errors.role}>
              <select id="role" className={inputClass} value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value as Role })}>
                {ROLES.map((role) => (
                  <option key={role}>{role}</option>
                ))}
              </select>
            </Field>
            <Field id="password" label="Initial password" hint="At least 12 characters" error={errors.password}>
              <input id="password" type="password" autoComplete="new-password" className={inputClass} required maxLength={256} value={form.password} onChange={(e) => setForm({ ...form, password: e.target.value })} />
            </Field>
            <ZonePicker idPrefix="user" allZones={form.allZones} zoneIds={form.zoneIds} onChange={(zones) => setForm({ ...form, ...zones })} />
            {errors.zoneIds && (
              <p role="alert" className="text-xs text-red-700">
                {errors.zoneIds}
              </p>
            )}
            {errors.form && (
              <p role="alert" className="text-sm text-red-700">
                {errors.form}
              </p>
            )}
            <SubmitButton pending={create.isPending}>Create user</SubmitButton>
          </form>
        </Card>
      </div>
    </>
  );
}
