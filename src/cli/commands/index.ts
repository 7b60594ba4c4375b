import type { Command } from '../command';
import { capacityCommands } from './capacity';
import { deviceTypeCommands } from './devicetypes';
import { healthCommands } from './health';
import { inventoryCommands } from './inventory';

/**
 * Every `plenum` command, keyed by its words ("health", "targets add", …). Each area adds its own file
 * here; main.ts matches the longest key that prefixes the arguments.
 */
export const commands: Record<string, Command> = {
  ...healthCommands,
  ...deviceTypeCommands,
  ...inventoryCommands,
  ...capacityCommands,
};
