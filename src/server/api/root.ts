import { capacityRouter } from './routers/capacity';
import { changesRouter } from './routers/changes';
import { coolingRouter } from './routers/cooling';
import { devicesRouter } from './routers/devices';
import { deviceTypesRouter } from './routers/deviceTypes';
import { hallsRouter } from './routers/halls';
import { inventoryRouter } from './routers/inventory';
import { networkRouter } from './routers/network';
import { powerRouter } from './routers/power';
import { racksRouter } from './routers/racks';
import { sitesRouter } from './routers/sites';
import { systemRouter } from './routers/system';
import { topologyRouter } from './routers/topology';
import { zonesRouter } from './routers/zones';
import { createCallerFactory, router } from './trpc';

export const appRouter = router({
  system: systemRouter,
  sites: sitesRouter,
  halls: hallsRouter,
  racks: racksRouter,
  devices: devicesRouter,
  power: powerRouter,
  cooling: coolingRouter,
  network: networkRouter,
  zones: zonesRouter,
  changes: changesRouter,
  capacity: capacityRouter,
  topology: topologyRouter,
  deviceTypes: deviceTypesRouter,
  inventory: inventoryRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
