/**
 * AMD partitions on real PostgreSQL with the demo seed: the seeded CPX/NPS4 MI300X node is 64 logical GPUs to the
 * scheduler, a 2-GPU job takes 2 partitions (2 allocation rows of 125 milli with their partition index), a share
 * takes one whole partition, the mode cannot change while they run, and a mode change is validated and audited.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaller } from '../src/server/api/root';
import { createContext } from '../src/server/api/trpc';
import { seedIfEmpty } from '../src/server/db/seed';
import { createSchedulerService, loadClusterState } from '../src/server/services/scheduler';
import { createTestDatabase, type TestDatabase } from './db';
import { fieldErrors } from './field-errors';

describe('AMD partitions (DB-backed)', () => {
  let database: TestDatabase;
  let api: ReturnType<typeof createCaller>;
  const service = createSchedulerService();
  let cpxNodeId: number;
  const cpxName = 'a3-01-mi300x4';

  beforeAll(async () => {
    database = await createTestDatabase();
    await seedIfEmpty(database.db, 'demo');
    api = createCaller(createContext(database));
    await api.tenants.create({ name: 'amd-team', gpuQuota: 64, clearedZoneLevel: 2 });
    cpxNodeId = (await database.db.execute<{ id: number }>(sql`SELECT id FROM devices WHERE name = ${cpxName}`)).rows[0]!.id;
  });
  afterAll(() => database.drop());

  const allocations = async (jobId: number) =>
    (
      await database.db.execute<{ device: string; milli: number; partition_index: number | null }>(sql`
        SELECT d.name AS device, g.milli, g.partition_index FROM gpu_allocations g
        JOIN accelerators a ON a.id = g.accelerator_id JOIN devices d ON d.id = a.device_id
        WHERE g.job_id = ${jobId} AND g.released_at IS NULL ORDER BY a.index, g.partition_index`)
    ).rows;

  it('seeds an MI300X rack whose CPX/NPS4 node the scheduler sees as 64 partitions of 24 GiB on one XGMI domain', async () => {
    const modes = (
      await database.db.execute<{ name: string; modes: string; gpus: number }>(sql`
        SELECT d.name, string_agg(DISTINCT a.compute_partition || '/' || a.memory_partition, ',') AS modes, count(*)::int AS gpus
        FROM accelerators a JOIN devices d ON d.id = a.device_id JOIN accelerator_models m ON m.id = a.model_id
        WHERE m.name = 'Instinct MI300X' GROUP BY d.name ORDER BY d.name`)
    ).rows;
    expect(modes).toEqual([
      { name: 'a3-01-mi300x1', modes: 'SPX/NPS1', gpus: 8 },
      { name: 'a3-01-mi300x2', modes: 'SPX/NPS1', gpus: 8 },
      { name: 'a3-01-mi300x3', modes: 'SPX/NPS1', gpus: 8 },
      { name: cpxName, modes: 'CPX/NPS4', gpus: 8 },
    ]);
    const state = await loadClusterState(database.db);
    const cpx = state.snapshot.nodes.find((n) => n.name === cpxName)!;
    expect(cpx.gpus).toHaveLength(64);
    expect(new Set(cpx.gpus.map((g) => g.memoryGib))).toEqual(new Set([24]));
    expect(new Set(cpx.gpus.map((g) => g.nvlinkDomain))).toEqual(new Set([`${cpxName}-xgmi`]));
    const spx = state.snapshot.nodes.find((n) => n.name === 'a3-01-mi300x1')!;
    expect(spx.gpus.map((g) => g.memoryGib)).toEqual(Array(8).fill(192));
    // NVIDIA nodes are untouched: whole GPUs, no partitions.
    expect(state.snapshot.nodes.find((n) => n.gpuModel === 'H100 SXM5 80GB')!.gpus.every((g) => g.partition === undefined)).toBe(true);
  });

  it('places a 2-GPU job on 2 partitions and a share on one whole partition, and refuses a mode change meanwhile', async () => {
    // Only the CPX node may take AMD work here: the SPX nodes are in maintenance.
    await database.db.execute(sql`UPDATE devices SET status = 'maintenance' WHERE name IN ('a3-01-mi300x1', 'a3-01-mi300x2', 'a3-01-mi300x3')`);
    const base = { kind: 'training' as const, tenant: 'amd-team', cpuMilli: 8_000, memoryMib: 65_536, gpuModels: ['Instinct MI300X'] };
    const two = await api.jobs.submit({ ...base, name: 'cpx-two', gpusPerWorker: 2, gpuMemoryGib: 24 });
    const share = await api.jobs.submit({ ...base, name: 'cpx-share', kind: 'inference', gpusPerWorker: 1, gpuMilli: 100 });
    const tooBig = await api.jobs.submit({ ...base, name: 'cpx-half', kind: 'inference', gpusPerWorker: 1, gpuMilli: 500 });
    const result = await service.runCycle(database.db);
    expect(result.placed).toEqual(expect.arrayContaining([two.id, share.id]));
    expect(result.placed).not.toContain(tooBig.id);

    const twoRows = await allocations(two.id);
    expect(twoRows).toHaveLength(2);
    expect(twoRows.every((r) => r.device === cpxName && r.milli === 125 && r.partition_index !== null)).toBe(true);
    const shareRows = await allocations(share.id);
    expect(shareRows).toEqual([{ device: cpxName, milli: 125, partition_index: expect.any(Number) }]);
    const view = await api.jobs.get({ id: two.id });
    expect(view.events.at(-1)!.reason).toBe(`placed on 2 GPU partitions: ${cpxName}`);
    // A half-GPU share fits no CPX eighth.
    expect((await api.jobs.get({ id: tooBig.id })).job.status).toBe('pending');

    // The job's GPUs hold the node's mode.
    await expect(api.devices.setPartitionMode({ id: cpxNodeId, computePartition: 'SPX', memoryPartition: 'NPS1' })).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(new RegExp(`^${cpxName}: its GPUs are held by jobs ${two.id} "cpx-two", ${share.id} "cpx-share"`)),
    });
    const still = await database.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM accelerators WHERE device_id = ${cpxNodeId} AND compute_partition = 'CPX'`);
    expect(still.rows[0]!.n).toBe(8);

    await api.jobs.cancel({ id: two.id });
    await api.jobs.cancel({ id: share.id });
    await api.jobs.cancel({ id: tooBig.id });
  });

  it('validates the mode with field errors, then sets it, audited and in the change log', async () => {
    expect(await fieldErrors(api.devices.setPartitionMode({ id: cpxNodeId, computePartition: 'QPX', memoryPartition: 'NPS4' }))).toEqual({
      memoryPartition: `${cpxName} GPU 0: NPS4 is supported only with CPX compute partitioning, not QPX`,
    });
    const h100 = (await database.db.execute<{ id: number }>(sql`SELECT id FROM devices WHERE name = 'a1-01-gpu1'`)).rows[0]!.id;
    expect(await fieldErrors(api.devices.setPartitionMode({ id: h100, computePartition: 'CPX', memoryPartition: 'NPS1' }))).toEqual({
      id: 'a1-01-gpu1 GPU 0: H100 SXM5 80GB has no compute or memory partitioning (only Instinct MI300X, Instinct MI325X)',
    });
    expect(Object.keys(await fieldErrors(api.devices.setPartitionMode({ id: cpxNodeId, computePartition: 'TPX' as 'CPX', memoryPartition: 'NPS1' })))).toEqual(['computePartition']);

    const plantVersion = async () => Number((await database.db.execute<{ version: string }>(sql`SELECT version FROM plant_version`)).rows[0]!.version);
    const plantBefore = await plantVersion();
    const set = await api.devices.setPartitionMode({ id: cpxNodeId, computePartition: 'QPX', memoryPartition: 'NPS1' });
    // The mode is plant (migration 0044): what is derived from the plant, the simulated world included, follows it.
    expect(await plantVersion()).toBeGreaterThan(plantBefore);
    expect(set).toEqual({ deviceId: cpxNodeId, name: cpxName, computePartition: 'QPX', memoryPartition: 'NPS1', gpus: 8, partitions: 32, memoryGibPerPartition: 48 });
    const state = await loadClusterState(database.db);
    const node = state.snapshot.nodes.find((n) => n.name === cpxName)!;
    expect(node.gpus).toHaveLength(32);
    expect(node.gpus.every((g) => g.freeMilli === 1000 && g.memoryGib === 48)).toBe(true);

    const audit = await database.db.execute<{ outcome: string }>(sql`SELECT outcome FROM audit_log WHERE action = 'devices.setPartitionMode' ORDER BY id`);
    expect(audit.rows.map((r) => r.outcome)).toContain('ok');
    const change = await database.db.execute<{ after: { partitionMode: string } }>(
      sql`SELECT after FROM change_log WHERE object_type = 'device' AND object_id = ${String(cpxNodeId)} ORDER BY id DESC LIMIT 1`,
    );
    expect(change.rows[0]!.after.partitionMode).toBe('QPX/NPS1');
  });
});
