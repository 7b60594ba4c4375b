'use client';

import { useMutation, useQuery } from '@tanstack/react-query';
import { useRouter, useSearchParams } from 'next/navigation';
import { type FormEvent, useEffect, useState } from 'react';
import { Field, inputClass, SubmitButton } from '@/components/forms/Field';
import { useTRPC } from '@/trpc/client';

/** Only local paths are followed after sign-in (no open redirect). */
export function safeNext(next: string | null): string {
  return next && /^\/(?!\/)[^\\]*$/.test(next) && !next.startsWith('/login') ? next : '/';
}

export function LoginForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const params = useSearchParams();
  const status = useQuery(trpc.auth.status.queryOptions());
  const login = useMutation(trpc.auth.login.mutationOptions());
  const [error, setError] = useState<string>();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');

  useEffect(() => {
    if (status.data?.setupRequired) router.replace('/setup');
  }, [status.data, router]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(undefined);
    try {
      await login.mutateAsync({ username, password });
      window.location.assign(safeNext(params.get('next')));
    } catch (e) {
      setError((e as Error).message || 'could not sign in');
      setPassword('');
    }
  }

  return (
    <div className="mx-auto mt-12 max-w-sm rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
      <h1 className="mb-4 text-xl font-semibold">Sign in to Plenum</h1>
      <form onSubmit={submit} className="flex flex-col gap-4" aria-label="Sign in">
        <Field id="username" label="Username">
          <input id="username" name="username" autoComplete="username" required maxLength={64} className={inputClass} value={username} onChange={(e) => setUsername(e.target.value)} />
        </Field>
        <Field id="password" label="Password">
          <input id="password" name="password" type="password" autoComplete="current-password" required maxLength={256} className={inputClass} value={password} onChange={(e) => setPassword(e.target.value)} />
        </Field>
        {error && (
          <p role="alert" className="text-sm text-red-700" data-testid="login-error">
            {error}
          </p>
        )}
        <SubmitButton pending={login.isPending}>Sign in</SubmitButton>
      </form>
    </div>
  );
}
