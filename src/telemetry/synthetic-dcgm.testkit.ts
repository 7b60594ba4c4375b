/** Test and bench input: a dcgm-exporter style document, `gpus` GPUs × the default counters, with the real label set. */
export function syntheticDcgmDocument(gpus: number): { text: string; samples: number } {
  const fields = [
    ['DCGM_FI_DEV_SM_CLOCK', 1980],
    ['DCGM_FI_DEV_MEM_CLOCK', 2619],
    ['DCGM_FI_DEV_MEMORY_TEMP', 54],
    ['DCGM_FI_DEV_GPU_TEMP', 59],
    ['DCGM_FI_DEV_POWER_USAGE', 631.95],
    ['DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION', 38897505],
    ['DCGM_FI_DEV_GPU_UTIL', 100],
    ['DCGM_FI_DEV_MEM_COPY_UTIL', 11],
    ['DCGM_FI_DEV_FB_FREE', 61262],
    ['DCGM_FI_DEV_FB_USED', 19818],
  ] as const;
  const parts: string[] = [];
  for (const [f] of fields) {
    parts.push(`# HELP ${f} help text.\n# TYPE ${f} gauge\n`);
  }
  for (let g = 0; g < gpus; g++) {
    const host = `node-${Math.floor(g / 8)}`;
    const labels = `gpu="${g % 8}",UUID="GPU-${g.toString(16).padStart(8, '0')}-7d3b-4c9a-8e21-0b6d4f9a3c17",pci_bus_id="00000000:1A:00.0",device="nvidia${g % 8}",modelName="NVIDIA H100 80GB HBM3",Hostname="${host}",DCGM_FI_DRIVER_VERSION="535.129.03"`;
    for (const [f, v] of fields) parts.push(`${f}{${labels}} ${v}\n`);
  }
  return { text: parts.join(''), samples: gpus * fields.length };
}

