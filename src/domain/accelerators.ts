/**
 * Catalogue of accelerator models. Figures follow /shared/REFERENCE-NUMBERS.md; `source` says how firm each one is.
 * Memory: `memoryGib` is what the device reports (NVML) where a real capture exists, otherwise the vendor's nominal
 * capacity, which for HBM/GDDR parts is counted in binary units (an "80 GB" H100 has 80 GiB of HBM3 of which NVML
 * reports 81,559 MiB usable).
 */

import { mibToGib } from './units';

export type AcceleratorVendor = 'NVIDIA' | 'AMD' | 'Google';
export type AcceleratorFormFactor = 'SXM5' | 'SXM6' | 'superchip' | 'OAM' | 'PCIe' | 'TPU tray';
export type CoolingRequirement = 'air' | 'liquid' | 'air-or-liquid';
export type FigureSource = 'real capture' | 'vendor docs' | 'secondary sources';

export interface AcceleratorModel {
  id: string;
  vendor: AcceleratorVendor;
  model: string;
  memoryGib: number;
  /** Usable memory NVML reports, where a real capture gives it. */
  reportedMemoryMib: number | null;
  memoryType: 'HBM2' | 'HBM2e' | 'HBM3' | 'HBM3e' | 'GDDR6';
  /** Default power limit; null where no figure is published. */
  tdpW: number | null;
  /** Lowest settable power limit, where known. */
  minPowerLimitW: number | null;
  formFactor: AcceleratorFormFactor;
  cooling: CoolingRequirement;
  /**
   * GPUs in one scale-up domain when installed as designed: NVLink/NVSwitch for NVIDIA (8 on an HGX board, 72 in an
   * NVL72 rack), the XGMI (Infinity Fabric) mesh of the 8 OAM modules on an AMD Instinct platform board.
   */
  nvlinkDomainSize: number | null;
  /** The fabric that `nvlinkDomainSize` counts, where it is not NVLink. */
  scaleUpFabric?: 'XGMI';
  /** XCDs (compute dies) per GPU, for parts with compute partitioning (AMD CDNA 3). */
  xcdCount?: number;
  /** Name strings seen in telemetry (nvidia-smi / DCGM modelName), for matching. */
  telemetryNames: string[];
  source: FigureSource;
  notes: string;
  /** TPU generations only: how chips sit on hosts and how the inter-chip interconnect (ICI) joins them. */
  tpu?: TpuTopology;
}

/**
 * A TPU generation's interconnect, from Google Cloud's TPU documentation (docs/ARCHITECTURE.md, TPUs, cites the pages).
 * `3d`: v4/v5p chips form a 3D torus built of 4×4×4 cubes (one cube per rack), joined by optical circuit switches (OCS)
 * into larger slices. `2d`: v5e/v6e chips form a 2D torus of at most 16×16 chips per pod.
 */
export interface TpuTopology {
  torus: '2d' | '3d';
  chipsPerHost: number;
  /** The block of chips one host carries (x, y, z). */
  hostShape: readonly [number, number, number];
  /** Edge of the cube the OCS joins (3D generations); null for 2D. */
  cubeEdge: number | null;
  /** Largest pod (x, y, z) the generation is built as. */
  maxPodShape: readonly [number, number, number];
}

export const ACCELERATORS: readonly AcceleratorModel[] = [
  {
    id: 'h100-sxm',
    vendor: 'NVIDIA',
    model: 'H100 SXM5 80GB',
    memoryGib: mibToGib(81_559),
    reportedMemoryMib: 81_559,
    memoryType: 'HBM3',
    tdpW: 700,
    minPowerLimitW: 200,
    formFactor: 'SXM5',
    cooling: 'air-or-liquid',
    nvlinkDomainSize: 8,
    telemetryNames: ['NVIDIA H100 80GB HBM3'],
    source: 'real capture',
    notes: 'Idle ~70 W / 41 °C, gpu-burn ~632 W / 59 °C (nvidia_gpu_exporter captures). Max operating ~87 °C.',
  },
  {
    id: 'h200-sxm',
    vendor: 'NVIDIA',
    model: 'H200 SXM 141GB',
    memoryGib: mibToGib(143_771),
    reportedMemoryMib: 143_771,
    memoryType: 'HBM3e',
    tdpW: 700,
    minPowerLimitW: null,
    formFactor: 'SXM5',
    cooling: 'air-or-liquid',
    nvlinkDomainSize: 8,
    telemetryNames: ['NVIDIA H200'],
    source: 'real capture',
    notes: 'Idle 77-80 W without a CUDA context, ~120 W with one; compute-bound 689-696 W at the cap; memory-bound ~471 W (fixtures/nvml-h200).',
  },
  {
    id: 'b200',
    vendor: 'NVIDIA',
    model: 'B200',
    memoryGib: 180,
    reportedMemoryMib: null,
    memoryType: 'HBM3e',
    tdpW: 1_000,
    minPowerLimitW: null,
    formFactor: 'SXM6',
    cooling: 'air-or-liquid',
    nvlinkDomainSize: 8,
    telemetryNames: ['NVIDIA B200'],
    source: 'secondary sources',
    notes: 'Memory quoted as 180-192 GB depending on SKU; 180 used here.',
  },
  {
    id: 'gb200',
    vendor: 'NVIDIA',
    model: 'GB200 (one Blackwell GPU of an NVL72)',
    memoryGib: 186,
    reportedMemoryMib: null,
    memoryType: 'HBM3e',
    tdpW: 1_200,
    minPowerLimitW: null,
    formFactor: 'superchip',
    cooling: 'liquid',
    nvlinkDomainSize: 72,
    telemetryNames: ['NVIDIA GB200'],
    source: 'secondary sources',
    notes: 'NVL72 rack: 72 GPUs + 36 Grace CPUs, ~120-132 kW, liquid cooling mandatory.',
  },
  {
    id: 'mi300x',
    vendor: 'AMD',
    model: 'Instinct MI300X',
    memoryGib: 192,
    reportedMemoryMib: null,
    memoryType: 'HBM3',
    tdpW: 750,
    minPowerLimitW: null,
    formFactor: 'OAM',
    cooling: 'air-or-liquid',
    nvlinkDomainSize: 8,
    scaleUpFabric: 'XGMI',
    xcdCount: 8,
    telemetryNames: ['AMD Instinct MI300X'],
    source: 'vendor docs',
    notes:
      '8 OAM modules per platform board, fully meshed by XGMI (AMD Infinity Fabric, 7 links per GPU). 8 XCDs, 304 CUs, 192 GB HBM3 at 5.3 TB/s, 750 W. Partitionable (SPX/DPX/QPX/CPX, NPS1/NPS4: src/domain/amd-partitions.ts).',
  },
  {
    id: 'mi325x',
    vendor: 'AMD',
    model: 'Instinct MI325X',
    memoryGib: 256,
    reportedMemoryMib: null,
    memoryType: 'HBM3e',
    tdpW: 1_000,
    minPowerLimitW: null,
    formFactor: 'OAM',
    cooling: 'air-or-liquid',
    nvlinkDomainSize: 8,
    scaleUpFabric: 'XGMI',
    xcdCount: 8,
    telemetryNames: ['AMD Instinct MI325X'],
    source: 'vendor docs',
    notes:
      'CDNA 3 like the MI300X (8 XCDs, 304 CUs) with 256 GB HBM3E at 6 TB/s and 1,000 W; a drop-in for the MI300X platform (8 OAM on one XGMI-meshed board). Same partition modes as the MI300X.',
  },
  {
    id: 'tpu-v5p',
    vendor: 'Google',
    model: 'TPU v5p',
    memoryGib: 95,
    reportedMemoryMib: null,
    memoryType: 'HBM2e',
    tdpW: null,
    minPowerLimitW: null,
    formFactor: 'TPU tray',
    cooling: 'liquid',
    nvlinkDomainSize: null,
    telemetryNames: [],
    source: 'secondary sources',
    notes:
      'Not in REFERENCE-NUMBERS; from Google Cloud TPU v5p documentation: 95 GB HBM2e per chip, 4 chips per host, 8,960 chips per pod in a 3D torus of 4×4×4 cubes joined by OCS. Google publishes no per-chip power figure. Cloud-only part.',
    tpu: { torus: '3d', chipsPerHost: 4, hostShape: [2, 2, 1], cubeEdge: 4, maxPodShape: [16, 20, 28] },
  },
  {
    id: 'tpu-v4',
    vendor: 'Google',
    model: 'TPU v4',
    memoryGib: 32,
    reportedMemoryMib: null,
    memoryType: 'HBM2',
    tdpW: null,
    minPowerLimitW: null,
    formFactor: 'TPU tray',
    cooling: 'liquid',
    nvlinkDomainSize: null,
    telemetryNames: [],
    source: 'vendor docs',
    notes:
      'Google Cloud TPU v4 documentation: 32 GiB HBM2 per chip, 4 chips per host, 4,096 chips per pod as 64 cubes of 4×4×4 (one per rack) joined by optical circuit switches (Jouppi et al., ISCA 2023). No per-chip power limit published.',
    tpu: { torus: '3d', chipsPerHost: 4, hostShape: [2, 2, 1], cubeEdge: 4, maxPodShape: [16, 16, 16] },
  },
  {
    id: 'tpu-v5e',
    vendor: 'Google',
    model: 'TPU v5e',
    memoryGib: 16,
    reportedMemoryMib: null,
    memoryType: 'HBM2',
    tdpW: null,
    minPowerLimitW: null,
    formFactor: 'TPU tray',
    cooling: 'air-or-liquid',
    nvlinkDomainSize: null,
    telemetryNames: [],
    source: 'vendor docs',
    notes: 'Google Cloud TPU v5e documentation: 16 GB HBM2 per chip, up to 8 chips per host (2×4), 256 chips per pod in a 2D torus of 16×16.',
    tpu: { torus: '2d', chipsPerHost: 8, hostShape: [2, 4, 1], cubeEdge: null, maxPodShape: [16, 16, 1] },
  },
  {
    id: 'tpu-v6e',
    vendor: 'Google',
    model: 'TPU v6e (Trillium)',
    memoryGib: 32,
    reportedMemoryMib: null,
    memoryType: 'HBM3',
    tdpW: null,
    minPowerLimitW: null,
    formFactor: 'TPU tray',
    cooling: 'air-or-liquid',
    nvlinkDomainSize: null,
    telemetryNames: [],
    source: 'vendor docs',
    notes: 'Google Cloud TPU v6e documentation: 32 GB HBM per chip, up to 8 chips per host (2×4), 256 chips per pod in a 2D torus of 16×16.',
    tpu: { torus: '2d', chipsPerHost: 8, hostShape: [2, 4, 1], cubeEdge: null, maxPodShape: [16, 16, 1] },
  },
  {
    id: 'l40s',
    vendor: 'NVIDIA',
    model: 'L40S',
    memoryGib: 48,
    reportedMemoryMib: null,
    memoryType: 'GDDR6',
    tdpW: 350,
    minPowerLimitW: null,
    formFactor: 'PCIe',
    cooling: 'air',
    nvlinkDomainSize: null,
    telemetryNames: ['NVIDIA L40S'],
    source: 'vendor docs',
    notes: 'PCIe, passively cooled by the server fans; no NVLink.',
  },
];

export function acceleratorById(id: string): AcceleratorModel | undefined {
  return ACCELERATORS.find((a) => a.id === id);
}

/**
 * Matches a free-text name (telemetry modelName, a datasheet phrase) to a catalogue entry: exact telemetry name first,
 * then the model token ("H100", "MI300X", "GB200") as a whole word. GB200 is tested before B200 so it is not taken for it.
 */
export function matchAccelerator(name: string): AcceleratorModel | undefined {
  const exact = ACCELERATORS.find((a) => a.telemetryNames.some((t) => t.toLowerCase() === name.trim().toLowerCase()));
  if (exact) return exact;
  const tokens: Array<[RegExp, string]> = [
    [/\bGB200\b/i, 'gb200'],
    [/\bB200\b/i, 'b200'],
    [/\bH200\b/i, 'h200-sxm'],
    [/\bH100\b/i, 'h100-sxm'],
    [/\bMI300X\b/i, 'mi300x'],
    [/\bMI325X\b/i, 'mi325x'],
    [/\bTPU\s*v5p\b/i, 'tpu-v5p'],
    [/\bTPU\s*v5e\b/i, 'tpu-v5e'],
    [/\bTPU\s*v6e\b|\bTrillium\b/i, 'tpu-v6e'],
    [/\bTPU\s*v4\b/i, 'tpu-v4'],
    [/\bL40S\b/i, 'l40s'],
  ];
  for (const [pattern, id] of tokens) if (pattern.test(name)) return acceleratorById(id);
  return undefined;
}

/** The TPU generations of the catalogue (those with an ICI topology). */
export function tpuGenerations(): AcceleratorModel[] {
  return ACCELERATORS.filter((a) => a.tpu !== undefined);
}
