import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { acceleratorById } from '@/domain/accelerators';
import { largestFreeShape, podFragmentation } from '@/domain/tpu-torus';
import { assertAllZones } from '../../auth/zones';
import { loadTpuPods } from '../../services/scheduler/tpu';
import { dbId } from '../inputs';
import { fieldError } from '../errors';
import { operateProcedure, readProcedure, router } from '../trpc';

// A TPU pod spans racks (one cube per rack) and its slices span hosts of several racks: like job submission, the
// TPU views and link reports need a grant for all zones.
const WHAT = 'TPU pods (an ICI domain spans racks)';

/** Most z-layers one pod page returns (a 4×4 layer per cube row; 16 layers = 4 cubes high). */
const MAX_LAYERS = 16;

const coord = z.tuple([z.number().int().min(0).max(63), z.number().int().min(0).max(63), z.number().int().min(0).max(63)]);

export const tpuRouter = router({
  /** Every TPU pod: generation, torus, chips free / busy / unhealthy, active slices, failed links, largest free shape. */
  pods: readProcedure.query(async ({ ctx }) => {
    assertAllZones(ctx, WHAT);
    const rows = (
      await ctx.db.execute<{ id: number; name: string; generation: string; torus: '2d' | '3d'; dim_x: number; dim_y: number; dim_z: number; cube_edge: number | null; hall_id: number; hall: string; slices: number; down_links: number; racks: number }>(sql`
        SELECT p.id, p.name, p.generation, p.torus, p.dim_x, p.dim_y, p.dim_z, p.cube_edge, p.hall_id, h.name AS hall,
               (SELECT count(*)::int FROM tpu_slices s WHERE s.pod_id = p.id AND s.state = 'active') AS slices,
               (SELECT count(*)::int FROM tpu_ici_links l WHERE l.pod_id = p.id AND l.state = 'down') AS down_links,
               (SELECT count(DISTINCT d.rack_id)::int FROM tpu_chips c JOIN accelerators a ON a.id = c.accelerator_id JOIN devices d ON d.id = a.device_id WHERE c.pod_id = p.id) AS racks
        FROM tpu_pods p JOIN halls h ON h.id = p.hall_id ORDER BY p.name`)
    ).rows;
    const states = new Map((await loadTpuPods(ctx.db)).map((p) => [p.id, p]));
    return rows.map((row) => {
      const state = states.get(String(row.id))!;
      const largest = largestFreeShape(state);
      return {
        id: row.id,
        name: row.name,
        generation: row.generation,
        model: acceleratorById(row.generation)?.model ?? row.generation,
        torus: row.torus,
        dims: [row.dim_x, row.dim_y, row.dim_z] as [number, number, number],
        cubeEdge: row.cube_edge,
        hallId: row.hall_id,
        hall: row.hall,
        racks: row.racks,
        chips: state.chips.length,
        freeChips: state.chips.filter((c) => c.healthy && !c.busy).length,
        busyChips: state.chips.filter((c) => c.busy).length,
        unhealthyChips: state.chips.filter((c) => !c.healthy).length,
        activeSlices: row.slices,
        downLinks: row.down_links,
        largestFree: largest,
        /** Free chips the usual slice shapes cannot use, summed over those shapes (docs/SCHEDULER.md, TPU slices). */
        fragmentation: podFragmentation(state),
      };
    });
  }),

  /**
   * One pod drawn layer by layer: the chips of z-layers [zFrom, zFrom + layers) with host, health and slice, the failed
   * links touching them, and the pod's active slices with their jobs.
   */
  pod: readProcedure
    .meta({ example: { id: 1 } })
    .input(z.object({ id: dbId, zFrom: z.number().int().min(0).max(63).default(0), layers: z.number().int().min(1).max(MAX_LAYERS, `must be at most ${MAX_LAYERS}`).default(8) }))
    .query(async ({ ctx, input }) => {
      assertAllZones(ctx, WHAT);
      const pod = (
        await ctx.db.execute<{ id: number; name: string; generation: string; torus: '2d' | '3d'; dim_x: number; dim_y: number; dim_z: number; cube_edge: number | null; wrap_x: boolean; wrap_y: boolean; hall_id: number; hall: string }>(sql`
          SELECT p.id, p.name, p.generation, p.torus, p.dim_x, p.dim_y, p.dim_z, p.cube_edge, p.wrap_x, p.wrap_y, p.hall_id, h.name AS hall
          FROM tpu_pods p JOIN halls h ON h.id = p.hall_id WHERE p.id = ${input.id}`)
      ).rows[0];
      if (!pod) throw fieldError('id', `no TPU pod with id ${input.id}`);
      const zTo = Math.min(pod.dim_z, input.zFrom + input.layers);
      const chips = (
        await ctx.db.execute<{ accelerator_id: number; x: number; y: number; z: number; health: string; host: string; rack: string; slice_id: number | null; job_id: number | null }>(sql`
          SELECT c.accelerator_id, c.x, c.y, c.z, a.health::text AS health, d.name AS host, r.name AS rack,
                 s.id AS slice_id, g.job_id
          FROM tpu_chips c JOIN accelerators a ON a.id = c.accelerator_id JOIN devices d ON d.id = a.device_id JOIN racks r ON r.id = d.rack_id
          LEFT JOIN gpu_allocations g ON g.accelerator_id = a.id AND g.released_at IS NULL
          LEFT JOIN tpu_slices s ON s.job_id = g.job_id AND s.state = 'active'
          WHERE c.pod_id = ${input.id} AND c.z >= ${input.zFrom} AND c.z < ${zTo}
          ORDER BY c.z, c.y, c.x`)
      ).rows;
      const downLinks = (
        await ctx.db.execute<{ ax: number; ay: number; az: number; bx: number; by: number; bz: number }>(sql`
          SELECT ca.x AS ax, ca.y AS ay, ca.z AS az, cb.x AS bx, cb.y AS by, cb.z AS bz
          FROM tpu_ici_links l JOIN tpu_chips ca ON ca.accelerator_id = l.chip_a JOIN tpu_chips cb ON cb.accelerator_id = l.chip_b
          WHERE l.pod_id = ${input.id} AND l.state = 'down'
            AND ((ca.z >= ${input.zFrom} AND ca.z < ${zTo}) OR (cb.z >= ${input.zFrom} AND cb.z < ${zTo}))`)
      ).rows;
      const slices = (
        await ctx.db.execute<{ id: number; job_id: number; job: string; tenant: string; status: string; shape: string; chips: number; cubes: number[] | null; origin_x: number | null; origin_y: number | null; origin_z: number | null }>(sql`
          SELECT s.id, s.job_id, j.name AS job, t.name AS tenant, j.status::text AS status, s.shape, s.chips, s.cubes, s.origin_x, s.origin_y, s.origin_z
          FROM tpu_slices s JOIN jobs j ON j.id = s.job_id JOIN tenants t ON t.id = j.tenant_id
          WHERE s.pod_id = ${input.id} AND s.state = 'active' ORDER BY s.id`)
      ).rows;
      return {
        pod: {
          id: pod.id,
          name: pod.name,
          generation: pod.generation,
          model: acceleratorById(pod.generation)?.model ?? pod.generation,
          torus: pod.torus,
          dims: [pod.dim_x, pod.dim_y, pod.dim_z] as [number, number, number],
          cubeEdge: pod.cube_edge,
          wraps: [pod.wrap_x, pod.wrap_y],
          hallId: pod.hall_id,
          hall: pod.hall,
        },
        zFrom: input.zFrom,
        zTo,
        chips: chips.map((c) => ({ acceleratorId: c.accelerator_id, x: c.x, y: c.y, z: c.z, health: c.health, host: c.host, rack: c.rack, sliceId: c.slice_id, jobId: c.job_id })),
        downLinks: downLinks.map((l) => ({ a: [l.ax, l.ay, l.az] as [number, number, number], b: [l.bx, l.by, l.bz] as [number, number, number] })),
        slices: slices.map((s) => ({
          id: s.id,
          jobId: s.job_id,
          job: s.job,
          tenant: s.tenant,
          status: s.status,
          shape: s.shape,
          chips: s.chips,
          cubes: s.cubes,
          origin: s.origin_x === null ? null : ([s.origin_x, s.origin_y!, s.origin_z!] as [number, number, number]),
        })),
      };
    }),

  /** Reports an ICI link between two neighbouring chips of a pod up or down (a down link excludes every slice needing it). */
  setLinkState: operateProcedure
    .meta({ example: { podId: 1, a: [0, 0, 0], b: [1, 0, 0], state: 'down' } })
    .input(z.object({ podId: dbId, a: coord, b: coord, state: z.enum(['up', 'down']) }))
    .mutation(async ({ ctx, input }) => {
      assertAllZones(ctx, WHAT);
      const updated = (
        await ctx.db.execute<{ id: number }>(sql`
          UPDATE tpu_ici_links l SET state = ${input.state}, changed_at = now()
          FROM tpu_chips ca, tpu_chips cb
          WHERE l.pod_id = ${input.podId} AND ca.accelerator_id = l.chip_a AND cb.accelerator_id = l.chip_b
            AND ((ca.x, ca.y, ca.z, cb.x, cb.y, cb.z) = (${input.a[0]}, ${input.a[1]}, ${input.a[2]}, ${input.b[0]}, ${input.b[1]}, ${input.b[2]})
              OR (ca.x, ca.y, ca.z, cb.x, cb.y, cb.z) = (${input.b[0]}, ${input.b[1]}, ${input.b[2]}, ${input.a[0]}, ${input.a[1]}, ${input.a[2]}))
          RETURNING l.id`)
      ).rows;
      if (updated.length === 0) throw fieldError('b', `no ICI link between (${input.a.join(', ')}) and (${input.b.join(', ')}) in TPU pod ${input.podId}`);
      return { linkId: updated[0]!.id, state: input.state };
    }),
});
