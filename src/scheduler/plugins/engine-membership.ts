import type { FilterPlugin } from '../plugin';

/** A job an engine runs (a Slurm executor job) goes only to nodes of that engine's cluster, and partition when named. */
export function engineMembershipFilter(): FilterPlugin {
  return {
    name: 'EngineMembership',
    filter: (state, node) => (state.pod.engine === undefined || node.engineMembership?.includes(state.pod.engine) ? null : 'not-engine-node'),
  };
}
