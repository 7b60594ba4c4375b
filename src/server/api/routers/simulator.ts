import { z } from 'zod';
import { FAULT_KINDS, FAULT_TARGETS } from '../../../../simulator/world';
import { getSimulatorHost } from '../../services/simulator-host';
import { fieldError } from '../errors';
import { operateProcedure, readProcedure, router, TRPCError } from '../trpc';

function host() {
  const h = getSimulatorHost();
  // A simulator in another process would take these commands through the database (docs/telemetry.md).
  if (!h) throw new TRPCError({ code: 'PRECONDITION_FAILED', message: 'the simulator is not running in this server process (PLENUM_SIMULATOR=off?)' });
  return h;
}

export const simulatorRouter = router({
  status: readProcedure.query(() => getSimulatorHost()?.status() ?? { running: false, accel: 0, baseUrl: '', simTime: null, hosts: 0, faults: 0 }),
  kinds: readProcedure.query(() => FAULT_KINDS.map((kind) => ({ kind, target: FAULT_TARGETS[kind] }))),
  list: readProcedure.query(() => host().listFaults()),
  inject: operateProcedure
    .meta({ example: { kind: 'cooling-unit-failure', target: 'example' } })
    .input(z.object({ kind: z.enum(FAULT_KINDS as [string, ...string[]]), target: z.string().trim().min(1).max(300), xid: z.number().int().min(1).max(1000).optional() }))
    .mutation(async ({ input }) => {
      try {
        return await host().inject(input.kind as (typeof FAULT_KINDS)[number], input.target, input.xid ? { xid: input.xid } : {});
      } catch (error) {
        if (error instanceof TRPCError) throw error;
        throw fieldError('target', (error as Error).message);
      }
    }),
  clear: operateProcedure.meta({ example: { id: 'example' } }).input(z.object({ id: z.string().trim().min(1).max(100) })).mutation(async ({ input }) => {
    try {
      return await host().clear(input.id);
    } catch (error) {
      if (error instanceof TRPCError) throw error;
      throw fieldError('id', (error as Error).message);
    }
  }),
});
