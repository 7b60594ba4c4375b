/** The racks a job runs in, each server a row of GPU cells: the job's GPUs highlighted, others' use shaded, failed GPUs red. */
type Gpu = { id: number; uuid: string; index: number; health: string; usedMilli: number; jobMilli: number; worker: number | null };
type Rack = { id: number; name: string; servers: Array<{ id: number; name: string; gpus: Gpu[] }> };

function cellClass(gpu: Gpu): string {
  if (gpu.health === 'failed') return 'border-red-600 bg-red-500';
  if (gpu.jobMilli > 0) return 'border-sky-700 bg-sky-500';
  if (gpu.usedMilli > 0) return 'border-slate-400 bg-slate-300';
  return 'border-slate-300 bg-white';
}

function gpuLabel(gpu: Gpu): string {
  const parts = [`GPU ${gpu.index} ${gpu.uuid}`, gpu.health];
  if (gpu.jobMilli > 0) parts.push(`this job${gpu.worker !== null ? ` (worker ${gpu.worker})` : ''}: ${gpu.jobMilli / 10} %`);
  if (gpu.usedMilli - gpu.jobMilli > 0) parts.push(`other jobs: ${(gpu.usedMilli - gpu.jobMilli) / 10} %`);
  return parts.join(' · ');
}

export function PlacementRacks({ racks }: { racks: Rack[] }) {
  return (
    <div className="flex flex-wrap gap-6" data-testid="placement-racks">
      {racks.map((rack) => (
        <figure key={rack.id} className="rounded border border-slate-300 bg-slate-50 p-2" aria-label={`Rack ${rack.name}`}>
          <figcaption className="mb-2 truncate whitespace-nowrap text-sm font-medium" title={rack.name}>
            Rack <a href={`/racks/${rack.id}`} className="text-sky-700 hover:underline">{rack.name}</a>
          </figcaption>
          <div className="flex flex-col gap-1">
            {rack.servers.map((server) => (
              <div key={server.id} className="flex items-center gap-2 rounded border border-slate-200 bg-white px-2 py-1">
                <a href={`/devices/${server.id}`} className="w-36 truncate whitespace-nowrap text-xs text-slate-700 hover:underline" title={server.name}>
                  {server.name}
                </a>
                <div className="flex gap-0.5">
                  {server.gpus.map((gpu) => (
                    <span
                      key={gpu.id}
                      title={gpuLabel(gpu)}
                      role="img"
                      aria-label={gpuLabel(gpu)}
                      data-testid={gpu.jobMilli > 0 ? 'job-gpu' : 'gpu'}
                      className={`relative block h-5 w-4 overflow-hidden rounded-sm border ${cellClass(gpu)}`}
                    >
                      {/* A share fills the cell only partly. */}
                      {gpu.jobMilli > 0 && gpu.jobMilli < 1000 && gpu.health !== 'failed' && (
                        <span className="absolute inset-x-0 top-0 bg-white/70" style={{ height: `${100 - gpu.jobMilli / 10}%` }} />
                      )}
                    </span>
                  ))}
                </div>
              </div>
            ))}
          </div>
        </figure>
      ))}
      <p className="w-full text-xs text-slate-500">
        <span className="mr-1 inline-block h-3 w-3 rounded-sm border border-sky-700 bg-sky-500 align-middle" /> this job
        <span className="ml-3 mr-1 inline-block h-3 w-3 rounded-sm border border-slate-400 bg-slate-300 align-middle" /> other jobs
        <span className="ml-3 mr-1 inline-block h-3 w-3 rounded-sm border border-slate-300 bg-white align-middle" /> free
        <span className="ml-3 mr-1 inline-block h-3 w-3 rounded-sm border border-red-600 bg-red-500 align-middle" /> failed
      </p>
    </div>
  );
}
