/**
 * Setting an AMD node's partition modes (compute SPX/DPX/QPX/CPX, memory NPS1/NPS4) on every GPU of the node.
 * Refused while any job holds one of its GPUs: a mode change re-cuts the logical GPUs those jobs run on. The
 * scheduler's commit reads the mode FOR SHARE before inserting partition allocations, and this takes the GPUs FOR
 * UPDATE before looking for allocations, so a placement and a mode change never both win.
 */
import { sql } from 'drizzle-orm';
import { type ComputePartitionMode, type MemoryPartitionMode, partitionModeLabel, partitionModeProblem, partitionShape } from '@/domain/amd-partitions';
import { recordChange, type Tx } from './changelog';

export class PartitionModeError extends Error {
  constructor(
    readonly field: string,
    reason: string,
    /** Jobs still holding the node's GPUs: the change must wait for them. */
    readonly busy = false,
  ) {
    super(reason);
    this.name = 'PartitionModeError';
  }
}

export type PartitionModeResult = {
  deviceId: number;
  name: string;
  computePartition: ComputePartitionMode;
  memoryPartition: MemoryPartitionMode;
  gpus: number;
  /** Logical GPUs the node now offers, and the memory of each. */
  partitions: number;
  memoryGibPerPartition: number;
};

export async function setNodePartitionMode(
  tx: Tx,
  actor: string,
  deviceId: number,
  mode: { computePartition: ComputePartitionMode; memoryPartition: MemoryPartitionMode },
): Promise<PartitionModeResult> {
  const device = (await tx.execute<{ id: number; name: string }>(sql`SELECT id, name FROM devices WHERE id = ${deviceId} FOR UPDATE`)).rows[0];
  if (!device) throw new PartitionModeError('id', `no device with id ${deviceId}`);
  const gpus = (
    await tx.execute<{ id: number; index: number; model: string; memory_gib: number; compute_partition: ComputePartitionMode | null; memory_partition: MemoryPartitionMode | null }>(sql`
      SELECT a.id, a.index, m.name AS model, m.memory_gib, a.compute_partition, a.memory_partition
      FROM accelerators a JOIN accelerator_models m ON m.id = a.model_id
      WHERE a.device_id = ${deviceId} ORDER BY a.id FOR UPDATE OF a`)
  ).rows;
  if (gpus.length === 0) throw new PartitionModeError('id', `${device.name} has no GPUs to partition`);
  const wanted = { compute: mode.computePartition, memory: mode.memoryPartition };
  for (const gpu of gpus) {
    const problem = partitionModeProblem(gpu.model, wanted);
    if (problem) throw new PartitionModeError(problem.field === 'model' ? 'id' : problem.field, `${device.name} GPU ${gpu.index}: ${problem.reason}`);
  }
  const holders = (
    await tx.execute<{ job_id: number; name: string }>(sql`
      SELECT DISTINCT g.job_id, j.name FROM gpu_allocations g JOIN jobs j ON j.id = g.job_id
      WHERE g.released_at IS NULL AND g.accelerator_id IN (${sql.join(gpus.map((g) => sql`${g.id}`), sql`, `)})
      ORDER BY g.job_id`)
  ).rows;
  if (holders.length > 0) {
    const named = holders.slice(0, 5).map((h) => `${h.job_id} "${h.name}"`).join(', ') + (holders.length > 5 ? `, … (${holders.length} jobs)` : '');
    throw new PartitionModeError('id', `${device.name}: its GPUs are held by job${holders.length === 1 ? '' : 's'} ${named}; the partition mode can change once they end or are cancelled`, true);
  }
  const before = gpus.map((g) => ({ index: g.index, computePartition: g.compute_partition, memoryPartition: g.memory_partition }));
  await tx.execute(sql`UPDATE accelerators SET compute_partition = ${mode.computePartition}, memory_partition = ${mode.memoryPartition} WHERE device_id = ${deviceId}`);
  const shape = partitionShape(gpus[0]!.model, gpus[0]!.memory_gib, wanted);
  await recordChange(tx, {
    actor,
    action: 'update',
    objectType: 'device',
    objectId: deviceId,
    before: { partitionModes: before },
    after: { partitionMode: partitionModeLabel(wanted), gpus: gpus.length, partitionsPerGpu: shape.partitions },
  });
  return {
    deviceId,
    name: device.name,
    computePartition: mode.computePartition,
    memoryPartition: mode.memoryPartition,
    gpus: gpus.length,
    partitions: gpus.length * shape.partitions,
    memoryGibPerPartition: shape.memoryGibPerPartition,
  };
}
