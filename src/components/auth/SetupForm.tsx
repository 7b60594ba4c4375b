'use client';

import { useMutation, useQuery } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { type FormEvent, useEffect, useState } from 'react';
import { fieldErrorsOf } from '@/components/forms/fieldErrors';
import { Field, inputClass, SubmitButton } from '@/components/forms/Field';
import { useTRPC } from '@/trpc/client';

/** The one-time set-up: the first admin account. Gone (redirects to sign-in) once any user exists. */
export function SetupForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const status = useQuery(trpc.auth.status.queryOptions());
  const setup = useMutation(trpc.auth.setup.mutationOptions());
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [form, setForm] = useState({ username: 'admin', password: '', confirm: '' });

  useEffect(() => {
    if (status.data && !status.data.setupRequired) router.replace('/login');
  }, [status.data, router]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (form.password !== form.confirm) return setErrors({ confirm: 'does not match the password' });
    setErrors({});
    try {
      await setup.mutateAsync({ username: form.username, password: form.password });
      window.location.assign('/');
    } catch (e) {
      const fields = fieldErrorsOf(e);
      setErrors(Object.keys(fields).length ? fields : { form: (e as Error).message });
    }
  }

  if (status.data && !status.data.setupRequired) return null;
  return (
    <div className="mx-auto mt-12 max-w-md rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
      <h1 className="mb-2 text-xl font-semibold">Set up Plenum</h1>
      <p className="mb-4 text-sm text-slate-600">No account exists yet. Create the first administrator; this page disappears once it exists.</p>
      <form onSubmit={submit} className="flex flex-col gap-4" aria-label="Create the first administrator">
        <Field id="username" label="Admin username" error={errors.username}>
          <input id="username" autoComplete="username" required maxLength={64} className={inputClass} value={form.username} onChange={(e) => setForm({ ...form, username: e.target.value })} />
        </Field>
        <Field id="password" label="Password" hint="At least 12 characters" error={errors.password}>
          <input id="password" type="password" autoComplete="new-password" required minLength={12} maxLength={256} className={inputClass} value={form.password} onChange={(e) => setForm({ ...form, password: e.target.value })} />
        </Field>
        <Field id="confirm" label="Repeat the password" error={errors.confirm}>
          <input id="confirm" type="password" autoComplete="new-password" required maxLength={256} className={inputClass} value={form.confirm} onChange={(e) => setForm({ ...form, confirm: e.target.value })} />
        </Field>
        {errors.form && (
          <p role="alert" className="text-sm text-red-700">
            {errors.form}
          </p>
        )}
        <SubmitButton pending={setup.isPending}>Create admin and sign in</SubmitButton>
      </form>
    </div>
  );
}
