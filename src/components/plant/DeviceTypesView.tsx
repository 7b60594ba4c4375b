'use client';

import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { type ChangeEvent, useDeferredValue, useState } from 'react';
import { Can } from '@/components/auth/Can';
import { fieldErrorsOf } from '@/components/forms/fieldErrors';
import { inputClass } from '@/components/forms/Field';
import { Badge } from '@/components/ui/Badge';
import { LoadMore } from '@/components/ui/ListControls';
import { Card, EmptyState } from '@/components/ui/Card';
import { ErrorMessage, Loading } from '@/components/ui/Loading';
import { PageHeader, SecondaryLink } from '@/components/ui/PageHeader';
import { formatPowerW, formatWeightKg } from '@/domain/units';
import { useTRPC } from '@/trpc/client';

type ImportResult = { file: string; status: 'imported' | 'updated' | 'skipped' | 'rejected'; message: string };
const STATUS_TONE = { imported: 'green', updated: 'blue', skipped: 'slate', rejected: 'red' } as const;

/** Device types, and the NetBox devicetype-library import: pick YAML files, see a line per file. */
export function DeviceTypesView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [search, setSearch] = useState('');
  const deferredSearch = useDeferredValue(search);
  const list = useInfiniteQuery(trpc.deviceTypes.list.infiniteQueryOptions({ search: deferredSearch || undefined, limit: 50 }, { getNextPageParam: (page) => page.nextCursor }));
  const importFiles = useMutation(trpc.deviceTypes.import.mutationOptions());
  const [results, setResults] = useState<ImportResult[]>();
  const [importError, setImportError] = useState<string>();

  async function onFiles(event: ChangeEvent<HTMLInputElement>) {
    const picked = [...(event.target.files ?? [])];
    if (picked.length === 0) return;
    setImportError(undefined);
    setResults(undefined);
    try {
      const files = await Promise.all(picked.map(async (file) => ({ name: file.webkitRelativePath || file.name, content: await file.text() })));
      const outcome = await importFiles.mutateAsync({ files });
      setResults(outcome.files);
      await queryClient.invalidateQueries({ queryKey: trpc.deviceTypes.pathKey() });
      await queryClient.invalidateQueries({ queryKey: trpc.devices.types.pathKey() });
    } catch (error) {
      const errors = fieldErrorsOf(error);
      setImportError(Object.entries(errors).map(([field, reason]) => (field === 'form' ? reason : `${field}: ${reason}`)).join('; '));
    } finally {
      event.target.value = '';
    }
  }

  const types = list.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <>
      <PageHeader title="Device types" crumbs={[{ href: '/', label: 'Overview' }]} actions={<SecondaryLink href="/api/export/deviceTypes.csv" download>Export CSV</SecondaryLink>} />
      <Can any={['operate']}>
      <Card title="Import from the NetBox devicetype-library">
        <p className="mb-2 text-sm text-slate-600">
          Choose one or more device-type YAML files. Each file is validated against the library's schema and imported on its own: a bad file is rejected with the field and the reason and never blocks the others. Files already present are skipped.
        </p>
        <label className="inline-flex cursor-pointer items-center gap-2 rounded border border-slate-300 bg-white px-3 py-1.5 text-sm hover:bg-slate-50 focus-within:ring-2 focus-within:ring-sky-500">
          <input type="file" accept=".yaml,.yml" multiple onChange={onFiles} className="sr-only" data-testid="devicetype-files" />
          {importFiles.isPending ? 'Importing…' : 'Choose YAML files…'}
        </label>
        {importError && (
          <p role="alert" className="mt-2 text-sm text-red-700">
            {importError}
          </p>
        )}
        {results && (
          <ul className="mt-3 space-y-1 text-sm" data-testid="import-results" aria-live="polite">
            {results.map((result) => (
              <li key={result.file}>
                <Badge tone={STATUS_TONE[result.status]}>{result.status}</Badge> <span className="font-mono text-xs">{result.file}</span> {result.status === 'rejected' ? <span className="text-red-700">{result.message.replace(/^rejected: /, '')}</span> : null}
              </li>
            ))}
          </ul>
        )}
      </Card>
      </Can>
      <div className="mt-6">
        <div className="mb-3">
          <input type="search" className={inputClass} value={search} onChange={(e) => setSearch(e.target.value)} placeholder="Model, part number, manufacturer" aria-label="Search device types" />
        </div>
        <Card title={`${types.length}${list.hasNextPage ? '+' : ''} device types`}>
          {list.isPending ? (
            <Loading />
          ) : list.isError ? (
            <ErrorMessage error={list.error} />
          ) : types.length === 0 ? (
            <EmptyState>No device type matches.</EmptyState>
          ) : (
            <table className="w-full text-sm" data-testid="device-types">
              <thead className="text-left text-slate-500">
                <tr>
                  <th className="font-normal">Manufacturer</th>
                  <th className="font-normal">Model</th>
                  <th className="font-normal">Kind</th>
                  <th className="text-right font-normal">Height</th>
                  <th className="text-right font-normal">Weight</th>
                  <th className="text-right font-normal">Nameplate</th>
                  <th className="text-right font-normal">PSUs</th>
                  <th className="text-right font-normal">Interfaces</th>
                  <th className="font-normal">Source</th>
                </tr>
              </thead>
              <tbody>
                {types.map((type) => (
                  <tr key={type.id} className="border-t border-slate-100">
                    <td>{type.manufacturer}</td>
                    <td>
                      <Link href={`/device-types/${type.id}`} className="text-sky-700 hover:underline">
                        {type.model}
                      </Link>
                    </td>
                    <td>{type.kind}</td>
                    <td className="tabular text-right">
                      {type.uHeight} U{type.isFullDepth ? '' : ' (half depth)'}
                    </td>
                    <td className="tabular text-right">{formatWeightKg(type.weightKg)}</td>
                    <td className="tabular text-right">{type.nameplatePowerW ? formatPowerW(type.nameplatePowerW) : 'unknown'}</td>
                    <td className="tabular text-right">{type.psuCount}</td>
                    <td className="tabular text-right">{type.interfaceCount}</td>
                    <td>{type.source}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        <LoadMore query={list} />
        </Card>
      </div>
    </>
  );
}
