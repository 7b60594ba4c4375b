import { COMPUTE_PARTITION_MODES, type ComputePartitionMode, MEMORY_PARTITION_MODES, type MemoryPartitionMode } from '@/domain/amd-partitions';
import type { PlenumClient } from '../client';
import { type Command, flag, requiredPositional, UsageError } from '../command';

/** A node named by its device id or its exact name / hostname. */
async function nodeId(client: PlenumClient, ref: string): Promise<number> {
  if (/^\d+$/.test(ref)) return Number(ref);
  const page = await client.devices.list.query({ search: ref, kind: 'server', limit: 50 });
  const match = page.items.filter((d) => d.name === ref || d.hostname === ref);
  if (match.length === 0) throw new UsageError(`no server named "${ref}" (give its name, hostname or device id)`);
  return match[0]!.id;
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], what: string): T {
  if (value === undefined) throw new UsageError(`${what} is required (one of ${allowed.join(', ')})`);
  const upper = value.toUpperCase();
  if (!(allowed as readonly string[]).includes(upper)) throw new UsageError(`${what} must be one of ${allowed.join(', ')}: ${value}`);
  return upper as T;
}

export const nodesCommands: Record<string, Command> = {
  'nodes partition': {
    usage: 'nodes partition <node> --compute <SPX|DPX|QPX|CPX> --memory <NPS1|NPS4>',
    summary: "set an AMD node's GPU partition modes (operate); refused while jobs hold its GPUs",
    run: async (client, args) => {
      const id = await nodeId(client, requiredPositional(args, 0, 'the node (name, hostname or device id)'));
      const computePartition = oneOf<ComputePartitionMode>(flag(args, 'compute'), COMPUTE_PARTITION_MODES, '--compute');
      const memoryPartition = oneOf<MemoryPartitionMode>(flag(args, 'memory'), MEMORY_PARTITION_MODES, '--memory');
      const result = await client.devices.setPartitionMode.mutate({ id, computePartition, memoryPartition });
      return {
        json: result,
        text: `${result.name}: ${result.computePartition}/${result.memoryPartition}, ${result.partitions} logical GPUs of ${result.memoryGibPerPartition} GiB on ${result.gpus} GPUs`,
      };
    },
  },
};
