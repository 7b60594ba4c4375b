/**
 * The demo data center as plain data: a realistic AI site with an air-cooled H100 hall and a
 * liquid-cooled GB200 NVL72 hall on a 2N power chain. Figures follow ../shared/REFERENCE-NUMBERS.md.
 * `scale` grows the same design for the benchmark seed (≥ 8,192 GPUs).
 */
export type SeedScale = {
  hallARows: number;
  racksPerHallARow: number;
  serversPerHallARack: number;
  hallBRacks: number;
  /** Liquid-cooled NVL72 halls (Hall B, C, …), each with `hallBRacks` racks; 1 when absent. */
  liquidHalls?: number;
  /** A small liquid-cooled TPU hall (Hall T): a TPU v5p pod of two 4×4×4 cubes and a TPU v5e 8×8 pod (TPU_SEED). */
  tpuHall?: boolean;
  /** Racks of AMD MI300X servers in a row of their own at the end of Hall A (seed/amd.ts); none when absent. */
  amdRacks?: number;
};

export const DEMO_SCALE: SeedScale = { hallARows: 2, racksPerHallARow: 8, serversPerHallARack: 3, hallBRacks: 4, tpuHall: true, amdRacks: 1 };
export const LARGE_SCALE: SeedScale = { hallARows: 16, racksPerHallARow: 16, serversPerHallARack: 3, hallBRacks: 32 };
/** ≥ 100,000 GPUs: an air-cooled HGX hall of 600 racks and four liquid-cooled halls of 300 NVL72 racks (100,800 GPUs). */
export const XL_SCALE: SeedScale = { hallARows: 30, racksPerHallARow: 20, serversPerHallARack: 3, hallBRacks: 300, liquidHalls: 4 };

export type SeedKind = 'demo' | 'large' | 'xl' | 'none';
export const SEED_SCALES: Record<Exclude<SeedKind, 'none'>, SeedScale> = { demo: DEMO_SCALE, large: LARGE_SCALE, xl: XL_SCALE };

export const GPUS_PER_HGX_SERVER = 8;

/**
 * The demo's TPU hall: one row of three direct-liquid racks. Racks T1-01 and T1-02 each hold one 4×4×4 cube of a TPU
 * v5p pod (16 hosts × 4 chips; Google: one cube per rack, 4 chips per v5p host); T1-03 holds a TPU v5e 8×8 pod (8
 * hosts × 8 chips). Host power is not published by Google: the figures are assumptions (docs/ARCHITECTURE.md, TPUs).
 */
export const TPU_SEED = {
  v5p: { pod: 'v5p-pod-1', dims: [4, 4, 8] as const, racks: ['T1-01', 'T1-02'], hostNameplateW: 2_000, hostTypicalW: 1_600, hostU: 2 },
  v5e: { pod: 'v5e-pod-1', dims: [8, 8, 1] as const, racks: ['T1-03'], hostNameplateW: 2_400, hostTypicalW: 1_900, hostU: 2 },
  rackMaxPowerKw: 40,
  cduKw: 100,
} as const;

/** Nameplate IT load of the TPU hall, kW (its hosts). */
export function tpuHallItKw(): number {
  const v5pHosts = (TPU_SEED.v5p.dims[0] * TPU_SEED.v5p.dims[1] * TPU_SEED.v5p.dims[2]) / 4;
  const v5eHosts = (TPU_SEED.v5e.dims[0] * TPU_SEED.v5e.dims[1]) / 8;
  return (v5pHosts * TPU_SEED.v5p.hostNameplateW + v5eHosts * TPU_SEED.v5e.hostNameplateW) / 1000;
}
export const NVL72_COMPUTE_TRAYS = 18;
export const GPUS_PER_NVL72_TRAY = 4;
export const AMD_SERVERS_PER_RACK = 4;
/** 8 OAM modules on one XGMI-meshed platform board. */
export const AMD_GPUS_PER_SERVER = 8;

export function gpuCount(scale: SeedScale): number {
  return (
    scale.hallARows * scale.racksPerHallARow * scale.serversPerHallARack * GPUS_PER_HGX_SERVER +
    (scale.liquidHalls ?? 1) * scale.hallBRacks * NVL72_COMPUTE_TRAYS * GPUS_PER_NVL72_TRAY +
    (scale.amdRacks ?? 0) * AMD_SERVERS_PER_RACK * AMD_GPUS_PER_SERVER
  );
}

/** A deterministic GPU UUID in NVIDIA's textual form, so seeded GPUs match simulator output. */
export function seededGpuUuid(serial: number): string {
  const hex = serial.toString(16).padStart(12, '0');
  return `GPU-5eed0000-0000-4000-8000-${hex}`;
}

/** A deterministic UUID for a seeded AMD GPU (amd-smi prints plain UUIDs, without NVIDIA's "GPU-" prefix). */
export function seededAmdGpuUuid(serial: number): string {
  return `5eed0a3d-0000-4000-8000-${serial.toString(16).padStart(12, '0')}`;
}

/**
 * A deterministic TPU chip id in the form the GKE TPU device plugin reports as `accelerator_id`: `<instance id>-<chip
 * index>`, the instance id a 19-digit number like a Compute Engine instance id. The inventory stores it as the chip's
 * uuid, so the tpu dialect's samples (and the simulator's) land on the seeded chip, as a GPU's do by its UUID.
 */
export function seededTpuChipId(hostSerial: number, chipIndex: number): string {
  return `${(5_000_000_000_000_000_000n + BigInt(hostSerial)).toString()}-${chipIndex}`;
}

/**
 * The tenants a seeded site starts with, so jobs can be submitted at once (the README's examples use `research`).
 * Quotas are shares of the site's GPUs, in whole servers (multiples of 8); `secure-cage` is cleared for the tenant cage.
 */
export function seedTenants(scale: SeedScale): { name: string; gpuQuota: number; clearedZoneLevel: number }[] {
  const gpus = gpuCount(scale);
  const share = (fraction: number) => Math.max(GPUS_PER_HGX_SERVER, Math.floor((gpus * fraction) / GPUS_PER_HGX_SERVER) * GPUS_PER_HGX_SERVER);
  return [
    { name: 'research', gpuQuota: share(0.5), clearedZoneLevel: 1 },
    { name: 'serving', gpuQuota: share(0.25), clearedZoneLevel: 1 },
    { name: 'secure-cage', gpuQuota: share(0.1), clearedZoneLevel: 2 },
  ];
}

/** The simulator's scrape interval when PLENUM_SCRAPE_INTERVAL_MS is unset: 30 s at xl size (100,000+ GPUs), else 10 s. */
export function defaultScrapeIntervalMs(seed: string | undefined = process.env.PLENUM_SEED): number {
  return seed === 'xl' ? 30_000 : 10_000;
}
