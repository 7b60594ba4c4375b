import { createCaller } from '@/server/api/root';
import { createRequestContext } from '@/server/api/trpc';
import { badRequest, type CsvColumn, csvStream, filtersFrom } from '../csv';

export const dynamic = 'force-dynamic';

type DeviceRow = Awaited<ReturnType<ReturnType<typeof createCaller>['devices']['list']>>['items'][number];

const COLUMNS: CsvColumn<DeviceRow>[] = [
  { header: 'id', value: (d) => d.id },
  { header: 'name', value: (d) => d.name },
  { header: 'status', value: (d) => d.status },
  { header: 'kind', value: (d) => d.kind },
  { header: 'manufacturer', value: (d) => d.manufacturer },
  { header: 'model', value: (d) => d.typeModel },
  { header: 'rack', value: (d) => d.rackName },
  { header: 'position_u', value: (d) => d.position },
  { header: 'face', value: (d) => d.face },
  { header: 'u_height', value: (d) => d.uHeight },
  { header: 'serial', value: (d) => d.serial },
  { header: 'asset_tag', value: (d) => d.assetTag },
  { header: 'hostname', value: (d) => d.hostname },
  { header: 'nameplate_power_w', value: (d) => d.nameplatePowerW },
];

/** GET /api/export/devices.csv?rackId=&hallId=&status=&kind=&search= — the devices list, every page, as CSV. */
export async function GET(request: Request) {
  // The caller of this request (session cookie or bearer token): anonymous callers get 401, like the API.
  const caller = createCaller(await createRequestContext(request));
  const filters = filtersFrom(new URL(request.url), ['rackId', 'hallId'], ['status', 'kind', 'search']);
  try {
    return await csvStream('devices.csv', COLUMNS, (cursor) => caller.devices.list({ ...(filters as object), cursor, limit: 500 }));
  } catch (error) {
    return badRequest(error);
  }
}
