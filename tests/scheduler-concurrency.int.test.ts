import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type DbHandle } from '../src/server/db/client';
import { cancelJob, createSchedulerService, type JobSubmission, SchedulerLeadership, submitJob } from '../src/server/services/scheduler';
import { seededRandom } from '../src/scheduler';
import { createTestDatabase, type TestDatabase } from './db';
import { createTenant, type SmallCluster, seedSmallCluster } from './scheduler-fixture';

/** Over-allocation must be impossible even when schedulers, submitters and cancellations race. */
describe('scheduler under concurrency', () => {
  let database: TestDatabase;
  let cluster: SmallCluster;
  const extraPools: DbHandle[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    cluster = await seedSmallCluster(database.db, { racks: 2, serversPerRack: 2 });
    for (const name of ['alpha', 'beta', 'gamma', 'delta']) await createTenant(database.db, name, 1000);
  });
  afterAll(async () => {
    await Promise.all(extraPools.map((h) => h.pool.end().catch(() => {})));
    await database.drop();
  });

  it('24 submitters and two scheduler instances never put more than 1000 milli on a GPU', async () => {
    // Two pools, as two scheduler processes would have.
    const poolA = createDb(database.url, { max: 4, applicationName: 'scheduler-a' });
    const poolB = createDb(database.url, { max: 4, applicationName: 'scheduler-b' });
    extraPools.push(poolA, poolB);
    const services = [createSchedulerService(), createSchedulerService()];
    const shapes: Array<Pick<JobSubmission, 'kind' | 'gpusPerWorker' | 'gpuMilli' | 'workers' | 'replicas' | 'topology'>> = [
      { kind: 'training', gpusPerWorker: 1 },
      { kind: 'training', gpusPerWorker: 2 },
      { kind: 'training', gpusPerWorker: 4, workers: 2, topology: 'leaf' },
      { kind: 'batch', gpusPerWorker: 1, gpuMilli: 500 },
      { kind: 'inference', gpusPerWorker: 0, gpuMilli: 250, replicas: 3 },
      { kind: 'inference', gpusPerWorker: 1, gpuMilli: 300 },
      { kind: 'training', gpusPerWorker: 8 },
    ];
    let submitting = true;
    const submitted: number[] = [];
    const submitters = Array.from({ length: 24 }, async (_, n) => {
      const random = seededRandom(100 + n);
      for (let k = 0; k < 4; k++) {
        const shape = shapes[Math.floor(random() * shapes.length)]!;
        const job = await submitJob(database.db, {
          name: `job-${n}-${k}`,
          tenant: ['alpha', 'beta', 'gamma', 'delta'][n % 4]!,
          cpuMilli: 8000,
          memoryMib: 65_536,
          priority: Math.floor(random() * 3),
          ...shape,
        });
        submitted.push(job.id);
        // Users change their minds while the schedulers work: running jobs end and free GPUs mid-race.
        if (random() < 0.3) {
          const victim = submitted[Math.floor(random() * submitted.length)]!;
          await cancelJob(database.db, victim).catch(() => {});
        }
        await new Promise((resolve) => setTimeout(resolve, 50 + random() * 100));
      }
    });
    let conflicts = 0;
    let placed = 0;
    const loop = async () => {
      // Both instances start each cycle together, from the same state: they will try to take the same GPUs.
      while (submitting) {
        const results = await Promise.all([services[0]!.runCycle(poolA.db), services[1]!.runCycle(poolB.db)]);
        for (const r of results) {
          conflicts += r.conflicts;
          placed += r.placed.length;
        }
      }
      for (let i = 0; i < 3; i++) await Promise.all([services[0]!.runCycle(poolA.db), services[1]!.runCycle(poolB.db)]);
    };
    const schedulers = loop();
    await Promise.all(submitters);
    submitting = false;
    await schedulers;

    expect(submitted).toHaveLength(96);
    expect(placed).toBeGreaterThan(0);
    expect(conflicts).toBeGreaterThan(0); // the race really happened, and was refused

    const over = await database.db.execute(sql`
      SELECT accelerator_id, sum(milli)::int AS milli FROM gpu_allocations WHERE released_at IS NULL
      GROUP BY accelerator_id HAVING sum(milli) > 1000`);
    expect(over.rows).toEqual([]);
    // A whole-GPU allocation is alone on its GPU.
    const shared = await database.db.execute(sql`
      SELECT accelerator_id FROM gpu_allocations WHERE released_at IS NULL GROUP BY accelerator_id
      HAVING bool_or(milli = 1000) AND count(*) > 1`);
    expect(shared.rows).toEqual([]);
    // Only live jobs hold GPUs, and each holds exactly what it asked for.
    const mismatched = await database.db.execute(sql`
      SELECT j.id, j.status, count(g.id)::int AS held,
             (CASE WHEN j.kind = 'inference' THEN j.replicas ELSE j.workers END) * GREATEST(j.gpus_per_worker, 1) AS expected
      FROM jobs j LEFT JOIN gpu_allocations g ON g.job_id = j.id AND g.released_at IS NULL
      GROUP BY j.id
      HAVING (j.status IN ('scheduled', 'running') AND count(g.id) <> (CASE WHEN j.kind = 'inference' THEN j.replicas ELSE j.workers END) * GREATEST(j.gpus_per_worker, 1))
          OR (j.status NOT IN ('scheduled', 'running') AND count(g.id) > 0)`);
    expect(mismatched.rows).toEqual([]);
    // Each placed job has exactly one 'scheduled' event per placement: no job was placed twice by the two instances.
    const doubled = await database.db.execute(sql`
      SELECT job_id FROM job_events WHERE status = 'scheduled' GROUP BY job_id HAVING count(*) > 1`);
    expect(doubled.rows).toEqual([]);
  });

  it('the trigger refuses a forced over-allocation, and of two racing transactions only one wins', async () => {
    // Everything from the race ends: the GPUs are free again.
    await database.db.execute(sql`UPDATE gpu_allocations SET released_at = now() WHERE released_at IS NULL`);
    await database.db.execute(sql`UPDATE jobs SET status = 'cancelled' WHERE status IN ('pending', 'scheduled', 'running')`);
    const tenant = await createTenant(database.db, 'forcer', 1000);
    const [job] = (
      await database.db.execute<{ id: number }>(sql`
        INSERT INTO jobs (name, kind, tenant_id, gpus_per_worker, gpu_milli, cpu_milli, memory_mib, expected_power_w_per_gpu, status)
        VALUES ('forced', 'batch', ${tenant.id}, 1, 600, 1000, 1024, 500, 'running') RETURNING id`)
    ).rows;
    const free = (
      await database.db.execute<{ id: number }>(sql`
        SELECT a.id FROM accelerators a WHERE NOT EXISTS (SELECT 1 FROM gpu_allocations g WHERE g.accelerator_id = a.id AND g.released_at IS NULL)
        ORDER BY a.id LIMIT 2`)
    ).rows;
    expect(free.length).toBe(2);
    const gpuId = free[0]!.id;
    await database.db.execute(sql`INSERT INTO gpu_allocations (job_id, worker, accelerator_id, milli) VALUES (${job!.id}, 0, ${gpuId}, 600)`);
    await expect(database.db.execute(sql`INSERT INTO gpu_allocations (job_id, worker, accelerator_id, milli) VALUES (${job!.id}, 1, ${gpuId}, 401)`)).rejects.toMatchObject({
      cause: { constraint: 'gpu_allocations_accelerator_capacity' },
    });
    await database.db.execute(sql`INSERT INTO gpu_allocations (job_id, worker, accelerator_id, milli) VALUES (${job!.id}, 1, ${gpuId}, 400)`);
    await expect(database.db.execute(sql`INSERT INTO gpu_allocations (job_id, worker, accelerator_id, milli) VALUES (${job!.id}, 2, ${gpuId}, 1)`)).rejects.toMatchObject({
      cause: { constraint: 'gpu_allocations_accelerator_capacity' },
    });
    await expect(database.db.execute(sql`INSERT INTO gpu_allocations (job_id, worker, accelerator_id, milli) VALUES (${job!.id}, 2, ${free[1]!.id}, 0)`)).rejects.toMatchObject({
      cause: { constraint: 'gpu_allocations_milli_range' },
    });

    // Two open transactions each take 600 milli of the same free GPU: the second waits on the row lock, then fails.
    const other = free[1]!.id;
    const first = await database.pool.connect();
    const second = await database.pool.connect();
    try {
      await first.query('BEGIN');
      await second.query('BEGIN');
      await first.query('INSERT INTO gpu_allocations (job_id, worker, accelerator_id, milli) VALUES ($1, 3, $2, 600)', [job!.id, other]);
      const racing = second.query('INSERT INTO gpu_allocations (job_id, worker, accelerator_id, milli) VALUES ($1, 4, $2, 600)', [job!.id, other]).then(
        () => 'inserted',
        (error: { constraint?: string }) => error.constraint,
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      await first.query('COMMIT');
      expect(await racing).toBe('gpu_allocations_accelerator_capacity');
      await second.query('ROLLBACK');
    } finally {
      first.release();
      second.release();
    }
    const sum = await database.db.execute<{ milli: number }>(sql`SELECT sum(milli)::int AS milli FROM gpu_allocations WHERE accelerator_id = ${other} AND released_at IS NULL`);
    expect(sum.rows[0]!.milli).toBe(600);

    // A failed GPU takes nothing new.
    await database.db.execute(sql`UPDATE accelerators SET health = 'failed' WHERE id = ${other}`);
    await expect(database.db.execute(sql`INSERT INTO gpu_allocations (job_id, worker, accelerator_id, milli) VALUES (${job!.id}, 5, ${other}, 100)`)).rejects.toMatchObject({
      cause: { constraint: 'gpu_allocations_gpu_healthy' },
    });
    expect(cluster.gpuUuids.length).toBe(32);
  });
});

describe('scheduler leadership', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  it('exactly one of two loops leads; when the leader connection ends, the other takes over', async () => {
    const a = new SchedulerLeadership(database.url);
    const b = new SchedulerLeadership(database.url);
    try {
      const [la, lb] = await Promise.all([a.tryLead(), b.tryLead()]);
      expect([la, lb].filter(Boolean)).toHaveLength(1);
      const leader = la ? a : b;
      const standby = la ? b : a;
      // Ticks later, it stays that way.
      expect(await leader.tryLead()).toBe(true);
      expect(await standby.tryLead()).toBe(false);

      // The leader's process dies: its server session ends.
      const pid = leader.backendPid();
      expect(pid).toBeTypeOf('number');
      await database.pool.query('SELECT pg_terminate_backend($1)', [pid]);
      let tookOver = false;
      for (let i = 0; i < 50 && !tookOver; i++) {
        tookOver = await standby.tryLead();
        if (!tookOver) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(tookOver).toBe(true);
      // The old leader notices it lost the lock and stays standby.
      expect(await leader.tryLead()).toBe(false);
      expect(leader.isLeader).toBe(false);
    } finally {
      await a.release();
      await b.release();
    }
  });
});
