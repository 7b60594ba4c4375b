import { z } from 'zod';
import { FAULT_KINDS, FAULT_TARGETS } from '../../../../simulator/world';
import { getSimulatorHost } from '../../services/simulator-host';
import { fieldError } from '../errors';
import { assertAllZones, assertGpuUuidInZone, assertHostInZone, scopedZoneIds } from '../../auth/zones';
import { type Context, operateProcedure, readProcedure, router, TRPCError } from '../trpc';

function host() {
  const h = getSimulatorHost();
  // A simulator in another process would take these commands through the database (docs/telemetry.md).
  if (!h) {
    throw new TRPCError({
      code: 'PRECONDITION_FAILED',
      message: 'the simulated world is not running in this server process (PLENUM_SIMULATOR=off, or another instance holds the simulator role: see /admin/instances)',
    });
  }
  return h;
}

type FaultKind = (typeof FAULT_KINDS)[number];

/**
 * A fault's target resolved to the inventory: GPU faults by UUID, server and link faults by hostname (NOT_FOUND
 * outside the caller's zones); facility faults (cooling unit, utility feed, rack PDU by simulator id) need all zones.
 */
async function assertFaultTargetInZone(ctx: Context, kind: FaultKind, target: string): Promise<void> {
  const what = FAULT_TARGETS[kind];
  if (what === 'GPU UUID') return assertGpuUuidInZone(ctx, target);
  if (kind === 'server-fan-failure') return assertHostInZone(ctx, target);
  if (kind === 'network-link-down') return assertHostInZone(ctx, target.split('/')[0]!);
  assertAllZones(ctx, `a ${kind} fault`);
}

async function inZone(ctx: Context, kind: FaultKind, target: string): Promise<boolean> {
  try {
    await assertFaultTargetInZone(ctx, kind, target);
    return true;
  } catch (error) {
    if (error instanceof TRPCError) return false;
    throw error;
  }
}

export const simulatorRouter = router({
  status: readProcedure.query(() => getSimulatorHost()?.status() ?? { running: false, accel: 0, baseUrl: '', snmpAgents: 0, simTime: null, hosts: 0, faults: 0 }),
  kinds: readProcedure.query(() => FAULT_KINDS.map((kind) => ({ kind, target: FAULT_TARGETS[kind] }))),
  list: readProcedure.query(async ({ ctx }) => {
    const faults = host().listFaults();
    if (scopedZoneIds(ctx.principal) === null) return faults;
    const shown = [];
    for (const fault of faults) if (await inZone(ctx, fault.kind, fault.target)) shown.push(fault);
    return shown;
  }),
  inject: operateProcedure
    .meta({ example: { kind: 'cooling-unit-failure', target: 'example' } })
    .input(z.object({ kind: z.enum(FAULT_KINDS as [string, ...string[]]), target: z.string().trim().min(1).max(300), xid: z.number().int().min(1).max(1000).optional() }))
    .mutation(async ({ ctx, input }) => {
      await assertFaultTargetInZone(ctx, input.kind as FaultKind, input.target);
      try {
        return await host().inject(input.kind as (typeof FAULT_KINDS)[number], input.target, input.xid ? { xid: input.xid } : {});
      } catch (error) {
        if (error instanceof TRPCError) throw error;
        throw fieldError('target', (error as Error).message);
      }
    }),
  clear: operateProcedure.meta({ example: { id: 'example' } }).input(z.object({ id: z.string().trim().min(1).max(100) })).mutation(async ({ ctx, input }) => {
    const fault = getSimulatorHost()?.listFaults().find((f) => f.id === input.id);
    if (fault && !(await inZone(ctx, fault.kind, fault.target))) throw fieldError('id', `unknown fault ${input.id}`);
    try {
      return await host().clear(input.id);
    } catch (error) {
      if (error instanceof TRPCError) throw error;
      throw fieldError('id', (error as Error).message);
    }
  }),
});
