// Registry of plugins by name, and profiles: named sets of plugins and score weights.

import type { ResolvedProfile } from './framework';
import { Scheduler, type SchedulerOptions } from './framework';
import type { AnyPlugin, PluginContext, PluginFactory } from './plugin';
import { bestFitGpuPicker, bestFitScore } from './plugins/best-fit';
import { coolingHeadroomFilter } from './plugins/cooling-headroom';
import { cpuMemoryFitFilter } from './plugins/cpu-memory-fit';
import { fragmentationScore } from './plugins/fragmentation';
import { modelDemandScore } from './plugins/model-demand';
import { gangPermit } from './plugins/gang';
import { gpuFitFilter } from './plugins/gpu-fit';
import { engineMembershipFilter } from './plugins/engine-membership';
import { nodeHealthFilter } from './plugins/node-health';
import { powerBalanceScore } from './plugins/power-balance';
import { powerHeadroomFilter } from './plugins/power-headroom';
import { preemptionPostFilter } from './plugins/preemption';
import { randomGpuPicker, randomScore } from './plugins/random';
import { replicaSpreadFilter } from './plugins/replica-spread';
import { spreadScore } from './plugins/spread';
import { thermalHeadroomScore } from './plugins/thermal';
import { topologyFilter, topologyLocalityScore } from './plugins/topology';
import { zoneClearanceFilter } from './plugins/zone-clearance';
import { TypicalWorkload } from './fragmentation';

export interface ProfileSpec {
  name: string;
  preFilters?: string[];
  /** In order: a node is counted under the first one it fails. */
  filters: string[];
  scores: Array<{ plugin: string; weight: number }>;
  /** Chooses the GPU of a GPU share on each candidate node. */
  gpuPicker: string;
  permits?: string[];
  reserves?: string[];
  postFilters?: string[];
  tieBreak?: 'first' | 'random' | 'name';
}

export class PluginRegistry {
  private readonly factories = new Map<string, PluginFactory>();

  register(name: string, factory: PluginFactory): this {
    this.factories.set(name, factory);
    return this;
  }

  names(): string[] {
    return [...this.factories.keys()].sort();
  }

  /** One instance per name within a profile, so a plugin that both scores and picks GPUs shares its memo. */
  resolve(spec: ProfileSpec, context: PluginContext): ResolvedProfile {
    const instances = new Map<string, AnyPlugin>();
    const get = (name: string): AnyPlugin => {
      let plugin = instances.get(name);
      if (!plugin) {
        const factory = this.factories.get(name);
        if (!factory) throw new Error(`profile ${spec.name}: unknown plugin ${name}`);
        plugin = factory(context);
        instances.set(name, plugin);
      }
      return plugin;
    };
    const need = <K extends keyof AnyPlugin>(name: string, method: K, point: string) => {
      const plugin = get(name);
      if (typeof plugin[method] !== 'function') throw new Error(`profile ${spec.name}: ${name} is not a ${point} plugin`);
      return plugin as Required<Pick<AnyPlugin, K>> & AnyPlugin;
    };
    return {
      name: spec.name,
      preFilters: (spec.preFilters ?? []).map((n) => need(n, 'preFilter', 'PreFilter')),
      filters: spec.filters.map((n) => need(n, 'filter', 'Filter')),
      gpuPicker: need(spec.gpuPicker, 'pickShareGpu', 'GPU picker'),
      scores: spec.scores.map((s) => ({ plugin: need(s.plugin, 'score', 'Score'), weight: s.weight })),
      reserves: (spec.reserves ?? []).map((n) => need(n, 'reserve', 'Reserve') as never),
      permits: (spec.permits ?? []).map((n) => need(n, 'permit', 'Permit')),
      postFilters: (spec.postFilters ?? []).map((n) => need(n, 'postFilter', 'PostFilter')),
      tieBreak: spec.tieBreak ?? 'first',
    };
  }
}

/** A generic mix for when no job history is at hand: shares of one GPU, single GPUs and full 8-GPU boards. */
export function defaultTypicalWorkload(): TypicalWorkload {
  const shape = (gpuCount: number, milliPerGpu: number, cpuMilli: number, weight: number) => ({
    cpuMilli,
    memoryMib: 0,
    gpuCount,
    milliPerGpu,
    gpuModels: null,
    weight,
  });
  return new TypicalWorkload([
    shape(0, 0, 8000, 0.1),
    shape(1, 250, 4000, 0.1),
    shape(1, 500, 6000, 0.2),
    shape(1, 1000, 12000, 0.45),
    shape(2, 1000, 24000, 0.05),
    shape(4, 1000, 48000, 0.05),
    shape(8, 1000, 96000, 0.05),
  ]);
}

export function defaultRegistry(): PluginRegistry {
  const workloadOf = (ctx: PluginContext) => ctx.workload ?? defaultTypicalWorkload();
  return new PluginRegistry()
    .register('NodeHealth', nodeHealthFilter)
    .register('EngineMembership', engineMembershipFilter)
    .register('ZoneClearance', zoneClearanceFilter)
    .register('GpuFit', gpuFitFilter)
    .register('CpuMemoryFit', cpuMemoryFitFilter)
    .register('RackPowerHeadroom', powerHeadroomFilter)
    .register('CoolingHeadroom', coolingHeadroomFilter)
    .register('Topology', topologyFilter)
    .register('ReplicaSpread', replicaSpreadFilter)
    .register('TopologyLocality', topologyLocalityScore)
    .register('Fragmentation', (ctx) => fragmentationScore(workloadOf(ctx)))
    .register('ModelDemand', (ctx) => modelDemandScore(workloadOf(ctx)))
    .register('BestFit', bestFitScore)
    .register('BestFitGpu', bestFitGpuPicker)
    .register('Random', randomScore)
    .register('RandomGpu', randomGpuPicker)
    .register('ThermalHeadroom', thermalHeadroomScore)
    .register('PowerBalance', powerBalanceScore)
    .register('Spread', spreadScore)
    .register('Gang', gangPermit)
    .register('Preemption', () => preemptionPostFilter());
}


const ALL_FILTERS = [
  'NodeHealth',
  'EngineMembership',
  'ZoneClearance',
  'GpuFit',
  'CpuMemoryFit',
  'RackPowerHeadroom',
  'CoolingHeadroom',
  'Topology',
];

export const PROFILES: Record<string, ProfileSpec> = {
  /** Baseline: any feasible node, uniformly at random. */
  random: {
    name: 'random',
    filters: ALL_FILTERS,
    scores: [{ plugin: 'Random', weight: 1 }],
    gpuPicker: 'RandomGpu',
    permits: ['Gang'],
  },
  /** Baseline: the node left with the least free CPU and GPU. */
  bestfit: {
    name: 'bestfit',
    filters: ALL_FILTERS,
    scores: [{ plugin: 'BestFit', weight: 1 }],
    gpuPicker: 'BestFitGpu',
    permits: ['Gang'],
    tieBreak: 'random',
  },
  /** Fragmentation gradient descent alone, as published. */
  fgd: {
    name: 'fgd',
    filters: ALL_FILTERS,
    scores: [{ plugin: 'Fragmentation', weight: 1 }],
    gpuPicker: 'Fragmentation',
    permits: ['Gang'],
    tieBreak: 'random',
  },
  /** Production: fragmentation first, facility-aware tie-breakers, gangs, preemption. */
  plenum: {
    name: 'plenum',
    filters: [...ALL_FILTERS, 'ReplicaSpread'],
    scores: [
      { plugin: 'Fragmentation', weight: 100 },
      { plugin: 'ModelDemand', weight: 30 }, // keeps the GPU models that constrained jobs need for them
      { plugin: 'BestFit', weight: 1 }, // breaks near-ties toward fuller nodes
      { plugin: 'TopologyLocality', weight: 5 },
      { plugin: 'Spread', weight: 5 },
      { plugin: 'ThermalHeadroom', weight: 0.5 },
      { plugin: 'PowerBalance', weight: 0.5 },
    ],
    gpuPicker: 'Fragmentation',
    permits: ['Gang'],
    postFilters: ['Preemption'],
    tieBreak: 'first',
  },
};

export interface CreateSchedulerOptions extends SchedulerOptions, PluginContext {
  registry?: PluginRegistry;
}

/** A scheduler for a named profile (random, bestfit, fgd, plenum) or a custom spec. */
export function createScheduler(profile: string | ProfileSpec, options: CreateSchedulerOptions = {}): Scheduler {
  const spec = typeof profile === 'string' ? PROFILES[profile] : profile;
  if (!spec) throw new Error(`unknown profile ${String(profile)}; known: ${Object.keys(PROFILES).join(', ')}`);
  const registry = options.registry ?? defaultRegistry();
  return new Scheduler(registry.resolve(spec, { workload: options.workload }), { rng: options.rng });
}
