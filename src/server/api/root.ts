import { auditRouter } from './routers/audit';
import { authRouter } from './routers/auth';
import { capacityRouter } from './routers/capacity';
import { changesRouter } from './routers/changes';
import { clustersRouter } from './routers/clusters';
import { coolingRouter } from './routers/cooling';
import { devicesRouter } from './routers/devices';
import { deviceTypesRouter } from './routers/deviceTypes';
import { hallsRouter } from './routers/halls';
import { inventoryRouter } from './routers/inventory';
import { jobsRouter } from './routers/jobs';
import { networkRouter } from './routers/network';
import { powerRouter } from './routers/power';
import { racksRouter } from './routers/racks';
import { sitesRouter } from './routers/sites';
import { systemRouter } from './routers/system';
import { topologyRouter } from './routers/topology';
import { tenantsRouter } from './routers/tenants';
import { tokensRouter } from './routers/tokens';
import { usersRouter } from './routers/users';
import { zonesRouter } from './routers/zones';
import { telemetryRouter } from './routers/telemetry';
import { alertsRouter } from './routers/alerts';
import { simulatorRouter } from './routers/simulator';
import { dashboardsRouter } from './routers/dashboards';
import { tpuRouter } from './routers/tpu';
import { createCallerFactory, router } from './trpc';

export const appRouter = router({
  system: systemRouter,
  auth: authRouter,
  users: usersRouter,
  tokens: tokensRouter,
  audit: auditRouter,
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
  clusters: clustersRouter,
  topology: topologyRouter,
  deviceTypes: deviceTypesRouter,
  inventory: inventoryRouter,
  jobs: jobsRouter,
  tenants: tenantsRouter,
  telemetry: telemetryRouter,
  alerts: alertsRouter,
  simulator: simulatorRouter,
  dashboards: dashboardsRouter,
  tpu: tpuRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
