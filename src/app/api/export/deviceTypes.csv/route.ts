import { createCaller } from '@/server/api/root';
import { createRequestContext } from '@/server/api/trpc';
import { badRequest, type CsvColumn, csvStream, filtersFrom } from '../csv';

export const dynamic = 'force-dynamic';

type DeviceTypeRow = Awaited<ReturnType<ReturnType<typeof createCaller>['deviceTypes']['list']>>['items'][number];

const COLUMNS: CsvColumn<DeviceTypeRow>[] = [
  { header: 'id', value: (t) => t.id },
  { header: 'manufacturer', value: (t) => t.manufacturer },
  { header: 'model', value: (t) => t.model },
  { header: 'slug', value: (t) => t.slug },
  { header: 'part_number', value: (t) => t.partNumber },
  { header: 'kind', value: (t) => t.kind },
  { header: 'u_height', value: (t) => t.uHeight },
  { header: 'full_depth', value: (t) => t.isFullDepth },
  { header: 'airflow', value: (t) => t.airflow },
  { header: 'weight_kg', value: (t) => t.weightKg },
  { header: 'nameplate_power_w', value: (t) => t.nameplatePowerW },
  { header: 'typical_power_w', value: (t) => t.typicalPowerW },
  { header: 'psu_count', value: (t) => t.psuCount },
  { header: 'interface_count', value: (t) => t.interfaceCount },
  { header: 'accelerator_slots', value: (t) => t.acceleratorSlots },
  { header: 'accelerator_model', value: (t) => t.acceleratorModel },
  { header: 'device_count', value: (t) => t.deviceCount },
  { header: 'source', value: (t) => t.source },
];

/** GET /api/export/deviceTypes.csv?kind=&source=&search= — the device types list, every page, as CSV. */
export async function GET(request: Request) {
  // The caller of this request (session cookie or bearer token): anonymous callers get 401, like the API.
  const caller = createCaller(await createRequestContext(request));
  const filters = filtersFrom(new URL(request.url), [], ['kind', 'source', 'search']);
  try {
    return await csvStream('device-types.csv', COLUMNS, (cursor) => caller.deviceTypes.list({ ...(filters as object), cursor, limit: 500 }));
  } catch (error) {
    return badRequest(error);
  }
}
