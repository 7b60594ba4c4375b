import type { TypicalWorkload } from '../fragmentation';
import type { ScorePlugin } from '../plugin';

/**
 * Where pods may run on several GPU models, prefer the model that the job history asks for least (per GPU), so the
 * models that constrained jobs need stay free for them. Flat (no effect) when no shape is tied to a model, or when
 * the workload does not know the cluster's model mix.
 */
export function modelDemandScore(workload: TypicalWorkload): ScorePlugin {
  return {
    name: 'ModelDemand',
    score: (state, node) => (state.demand.mode === 'none' ? 0 : -workload.demandPerGpu(node.gpuModel)),
  };
}
