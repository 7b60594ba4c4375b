import { headers } from 'next/headers';
import { notFound } from 'next/navigation';
import { resolvePrincipal } from './auth/principal';
import { getDb } from './db/client';

/** Tables with a detail page at /<table>/<id> (device_types at /device-types/<id>, tpu_pods at /tpu/pods/<id>). */
export type DetailTable = 'racks' | 'devices' | 'device_types' | 'halls' | 'sites' | 'jobs' | 'clusters' | 'tpu_pods';

/**
 * The id of a detail page's URL, or Next's not-found page (HTTP 404) when it is not an id or, for a signed-in caller,
 * names nothing. Callers without a valid session learn nothing about what exists: their page sends them to sign in.
 */
export async function idOrNotFound(table: DetailTable, raw: string): Promise<number> {
  const id = /^[1-9]\d{0,9}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(id) || id > 2_147_483_647) notFound();
  const handle = getDb();
  const { principal } = await resolvePrincipal(handle.db, await headers());
  if (principal.kind === 'anonymous') return id;
  const found = await handle.pool.query(`SELECT 1 FROM ${table} WHERE id = $1`, [id]);
  if (found.rowCount === 0) notFound();
  return id;
}
