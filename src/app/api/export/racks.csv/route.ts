import { createCaller } from '@/server/api/root';
import { createRequestContext } from '@/server/api/trpc';
import { badRequest, type CsvColumn, csvStream, filtersFrom } from '../csv';

export const dynamic = 'force-dynamic';

type RackRow = Awaited<ReturnType<ReturnType<typeof createCaller>['racks']['list']>>['items'][number];

const COLUMNS: CsvColumn<RackRow>[] = [
  { header: 'id', value: (r) => r.id },
  { header: 'name', value: (r) => r.name },
  { header: 'hall', value: (r) => r.hallName },
  { header: 'row', value: (r) => r.rowName },
  { header: 'status', value: (r) => r.status },
  { header: 'u_height', value: (r) => r.uHeight },
  { header: 'used_u', value: (r) => r.usedU },
  { header: 'device_count', value: (r) => r.deviceCount },
  { header: 'max_power_kw', value: (r) => r.maxPowerKw },
  { header: 'nameplate_power_w', value: (r) => r.nameplateW },
  { header: 'max_weight_kg', value: (r) => r.maxWeightKg },
  { header: 'weight_kg', value: (r) => r.weightKg },
  { header: 'cooling_kind', value: (r) => r.coolingKind },
  { header: 'security_zone', value: (r) => r.zoneName },
];

/** GET /api/export/racks.csv?hallId=&rowId=&status=&search= — the racks list, every page, as CSV. */
export async function GET(request: Request) {
  // The caller of this request (session cookie or bearer token): anonymous callers get 401, like the API.
  const caller = createCaller(await createRequestContext(request));
  const filters = filtersFrom(new URL(request.url), ['hallId', 'rowId'], ['status', 'search']);
  try {
    return await csvStream('racks.csv', COLUMNS, (cursor) => caller.racks.list({ ...(filters as object), cursor, limit: 500 }));
  } catch (error) {
    return badRequest(error);
  }
}
