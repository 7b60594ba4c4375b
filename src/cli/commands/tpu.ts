import type { Command } from '../command';

export const tpuCommands: Record<string, Command> = {
  'tpu pods': {
    usage: 'tpu pods',
    summary: 'TPU pods: generation, torus, chips free / busy / unhealthy, active slices, failed ICI links and the largest free slice shape',
    run: async (client) => {
      const pods = await client.tpu.pods.query();
      const lines = pods.map((p) => {
        const dims = p.torus === '2d' ? `${p.dims[0]}×${p.dims[1]}` : p.dims.join('×');
        const largest = p.largestFree ? (p.torus === '2d' ? `${p.largestFree[0]}×${p.largestFree[1]}` : p.largestFree.join('×')) : 'none';
        return `${String(p.id).padStart(4)}  ${p.name.padEnd(12)}  ${p.model.padEnd(18)}  ${dims.padEnd(8)}  ${p.freeChips}/${p.chips} free, ${p.busyChips} busy, ${p.unhealthyChips} unhealthy  ${p.activeSlices} slices  ${p.downLinks} links down  largest free ${largest}`;
      });
      return { json: pods, text: lines.length ? lines.join('\n') : 'no TPU pods' };
    },
  },
};
