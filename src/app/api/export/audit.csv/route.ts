import { createCaller } from '@/server/api/root';
import { createRequestContext } from '@/server/api/trpc';
import { badRequest, type CsvColumn, csvStream, filtersFrom } from '../csv';

export const dynamic = 'force-dynamic';

type AuditRow = Awaited<ReturnType<ReturnType<typeof createCaller>['audit']['list']>>['items'][number];

const json = (value: unknown) => (value === null || value === undefined ? '' : JSON.stringify(value));

const COLUMNS: CsvColumn<AuditRow>[] = [
  { header: 'id', value: (r) => r.id },
  { header: 'at', value: (r) => r.at },
  { header: 'actor', value: (r) => r.actor },
  { header: 'actor_user_id', value: (r) => r.actorUserId },
  { header: 'token_id', value: (r) => r.tokenId },
  { header: 'address', value: (r) => r.address },
  { header: 'action', value: (r) => r.action },
  { header: 'outcome', value: (r) => r.outcome },
  { header: 'object_type', value: (r) => r.objectType },
  { header: 'object_id', value: (r) => r.objectId },
  { header: 'before', value: (r) => json(r.before) },
  { header: 'after', value: (r) => json(r.after) },
  { header: 'detail', value: (r) => json(r.detail) },
];

/** GET /api/export/audit.csv?search=&actor=&action=&outcome=&objectType=&objectId=&from=&to= — admins only. */
export async function GET(request: Request) {
  const caller = createCaller(await createRequestContext(request));
  const filters = filtersFrom(new URL(request.url), [], ['search', 'actor', 'action', 'outcome', 'objectType', 'objectId', 'from', 'to']);
  try {
    return await csvStream('audit.csv', COLUMNS, async (cursor) => {
      const page = await caller.audit.list({ ...(filters as object), cursor: cursor ? Number(cursor) : null, limit: 500 });
      return { items: page.items, nextCursor: page.nextCursor === null ? null : String(page.nextCursor) };
    });
  } catch (error) {
    return badRequest(error);
  }
}
