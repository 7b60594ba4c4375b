import type { Command } from '../command';
import { adminCommands } from './admin';
import { capacityCommands } from './capacity';
import { clustersCommands } from './clusters';
import { deviceTypeCommands } from './devicetypes';
import { healthCommands } from './health';
import { jobsCommands } from './jobs';
import { metricsCommands } from './metrics';
import { nodesCommands } from './nodes';
import { inventoryCommands } from './inventory';
import { simCommands } from './sim';
import { targetsCommands } from './targets';
import { tenantsCommands } from './tenants';
import { telemetryCommands } from './telemetry';
import { tpuCommands } from './tpu';

/**
 * Every `plenum` command, keyed by its words ("health", "targets add", …). Each area adds its own file
 * here; main.ts matches the longest key that prefixes the arguments.
 */
export const commands: Record<string, Command> = {
  ...healthCommands,
  ...adminCommands,
  ...jobsCommands,
  ...tenantsCommands,
  ...deviceTypeCommands,
  ...inventoryCommands,
  ...capacityCommands,
  ...clustersCommands,
  ...targetsCommands,
  ...telemetryCommands,
  ...metricsCommands,
  ...simCommands,
  ...tpuCommands,
  ...nodesCommands,
};
