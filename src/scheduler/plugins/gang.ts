import type { PermitPlugin } from '../plugin';

/** All-or-nothing: the cycle is admitted only when every worker of the gang holds a reservation. */
export function gangPermit(): PermitPlugin {
  return {
    name: 'Gang',
    permit: (state) => state.reserved.length === state.workers,
  };
}
