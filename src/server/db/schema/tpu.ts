import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, pgTable, serial, text, timestamp, unique, uniqueIndex } from 'drizzle-orm/pg-core';
import { accelerators } from './devices';
import { halls } from './inventory';
import { jobs } from './jobs';

/**
 * A TPU pod: one ICI domain of one generation (catalogue id, e.g. 'tpu-v5p'). 3D pods (v4, v5p) are built of cubes of
 * `cube_edge`³ chips, one per rack, joined by optical circuit switches; 2D pods (v5e, v6e) are one torus of up to 16×16
 * with wrap-around links on the axes marked `wrap_*`. Migration 0021.
 */
export const tpuPods = pgTable(
  'tpu_pods',
  {
    id: serial('id').primaryKey(),
    name: text('name').notNull().unique(),
    hallId: integer('hall_id')
      .notNull()
      .references(() => halls.id, { onDelete: 'restrict' }),
    generation: text('generation').notNull(),
    torus: text('torus').$type<'2d' | '3d'>().notNull(),
    dimX: integer('dim_x').notNull(),
    dimY: integer('dim_y').notNull(),
    dimZ: integer('dim_z').notNull(),
    cubeEdge: integer('cube_edge'),
    wrapX: boolean('wrap_x').notNull().default(false),
    wrapY: boolean('wrap_y').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [check('tpu_pods_torus', sql`${t.torus} IN ('2d', '3d')`)],
);

/** Where a TPU chip (an accelerator of its TPU host) sits in its pod's torus. */
export const tpuChips = pgTable(
  'tpu_chips',
  {
    acceleratorId: integer('accelerator_id')
      .primaryKey()
      .references(() => accelerators.id, { onDelete: 'cascade' }),
    podId: integer('pod_id')
      .notNull()
      .references(() => tpuPods.id, { onDelete: 'cascade' }),
    x: integer('x').notNull(),
    y: integer('y').notNull(),
    z: integer('z').notNull(),
  },
  (t) => [unique('tpu_chips_position_unique').on(t.podId, t.x, t.y, t.z)],
);

/** One ICI link between neighbouring chips (chip_a < chip_b, accelerator ids) and whether it is up. */
export const tpuIciLinks = pgTable(
  'tpu_ici_links',
  {
    id: serial('id').primaryKey(),
    podId: integer('pod_id')
      .notNull()
      .references(() => tpuPods.id, { onDelete: 'cascade' }),
    chipA: integer('chip_a')
      .notNull()
      .references(() => tpuChips.acceleratorId, { onDelete: 'cascade' }),
    chipB: integer('chip_b')
      .notNull()
      .references(() => tpuChips.acceleratorId, { onDelete: 'cascade' }),
    state: text('state').$type<'up' | 'down'>().notNull().default('up'),
    changedAt: timestamp('changed_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique('tpu_ici_links_pair_unique').on(t.chipA, t.chipB), index('tpu_ici_links_pod_idx').on(t.podId)],
);

/**
 * A job's TPU slice. The chips are the job's gpu_allocations rows; a trigger on jobs releases the slice whenever the
 * job leaves scheduled/running.
 */
export const tpuSlices = pgTable(
  'tpu_slices',
  {
    id: serial('id').primaryKey(),
    podId: integer('pod_id')
      .notNull()
      .references(() => tpuPods.id, { onDelete: 'restrict' }),
    jobId: integer('job_id')
      .notNull()
      .references(() => jobs.id, { onDelete: 'cascade' }),
    /** As placed, e.g. '2x2x4' (an orientation of the requested shape); 2D: '4x8'. */
    shape: text('shape').notNull(),
    originX: integer('origin_x'),
    originY: integer('origin_y'),
    originZ: integer('origin_z'),
    /** Multi-cube (and whole-cube) slices: the pod's cube indices. */
    cubes: integer('cubes').array(),
    chips: integer('chips').notNull(),
    state: text('state').$type<'active' | 'released'>().notNull().default('active'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    releasedAt: timestamp('released_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('tpu_slices_one_active_per_job').on(t.jobId).where(sql`${t.state} = 'active'`),
    index('tpu_slices_pod_active_idx').on(t.podId).where(sql`${t.state} = 'active'`),
  ],
);
