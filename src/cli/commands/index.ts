import type { Command } from '../command';
import { healthCommands } from './health';

/**
 * Every `plenum` command, keyed by its words ("health", "targets add", …). Each area adds its own file
 * here; main.ts matches the longest key that prefixes the arguments.
 */
export const commands: Record<string, Command> = {
  ...healthCommands,
};
