export function Loading({ label = 'Loading' }: { label?: string }) {
  return <div className="h-40 animate-pulse rounded bg-slate-100" role="status" aria-busy="true" aria-label={label} />;
}

export function ErrorMessage({ error }: { error: { message: string } }) {
  return (
    <p role="alert" className="rounded border border-red-200 bg-red-50 p-3 text-sm text-red-800">
      {error.message}
    </p>
  );
}
