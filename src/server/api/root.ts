import { powerRouter } from './routers/power';
import { sitesRouter } from './routers/sites';
import { systemRouter } from './routers/system';
import { createCallerFactory, router } from './trpc';

export const appRouter = router({
  system: systemRouter,
  sites: sitesRouter,
  power: powerRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
