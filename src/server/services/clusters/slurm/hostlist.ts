/**
 * Slurm host lists ("gpu[01-03,07],login1") and GRES strings ("gpu:h100:8(S:0-1)", "gpu:4(IDX:0,2-4)"): the
 * compact forms slurmrestd returns for a job's nodes and a node's GPUs.
 */

/** Splits on commas outside brackets/parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '[' || c === '(') depth++;
    else if (c === ']' || c === ')') depth = Math.max(0, depth - 1);
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

/** Expands one bracket group of a host name, keeping the zero padding of each range ("01-03" → 01, 02, 03). */
function expandHost(host: string): string[] {
  const open = host.indexOf('[');
  if (open < 0) return [host];
  const close = host.indexOf(']', open);
  if (close < 0) throw new Error(`unbalanced '[' in host list entry "${host}"`);
  const prefix = host.slice(0, open);
  const rest = host.slice(close + 1);
  const names: string[] = [];
  for (const range of host.slice(open + 1, close).split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(range.trim());
    if (!m) throw new Error(`bad range "${range}" in host list entry "${host}"`);
    const from = m[1] as string;
    const to = m[2] ?? from;
    const width = from.length;
    const a = Number.parseInt(from, 10);
    const b = Number.parseInt(to, 10);
    if (b < a || b - a > 100_000) throw new Error(`bad range "${range}" in host list entry "${host}"`);
    for (let n = a; n <= b; n++) {
      for (const tail of expandHost(rest)) names.push(`${prefix}${String(n).padStart(width, '0')}${tail}`);
    }
  }
  return names;
}

/** "gpu[01-02],cpu7" → ["gpu01", "gpu02", "cpu7"]; "" and "(null)" → []. */
export function expandHostList(list: string | null | undefined): string[] {
  if (!list || list === '(null)' || list === 'None assigned') return [];
  return splitTopLevel(list).flatMap(expandHost);
}

/**
 * GPUs in a GRES string: the sum of the counts of its `gpu` entries. "gpu:8", "gpu:h100:8(S:0-1)",
 * "gpu:h100:4,gpu:a100:2", "gres/gpu:4", "gres:gpu:4", "gres/gpu=8" (TRES form), "gpu:4(IDX:0-3)"; "N/A", "" → 0.
 * An entry naming GPUs without a count ("gpu", "gpu:h100") is one GPU, as Slurm reads it.
 */
export function gpusInGres(gres: string | null | undefined): number {
  if (!gres || gres === 'N/A' || gres === '(null)') return 0;
  let total = 0;
  for (const raw of splitTopLevel(gres)) {
    const entry = raw.replace(/\(.*\)$/, '').replace(/^gres[/:]/, '');
    const tres = /^gpu(?::[^=]+)?=(\d+)$/.exec(entry);
    if (tres) {
      total += Number.parseInt(tres[1] as string, 10);
      continue;
    }
    const parts = entry.split(':');
    if (parts[0] !== 'gpu') continue;
    const last = parts[parts.length - 1] as string;
    total += parts.length > 1 && /^\d+$/.test(last) ? Number.parseInt(last, 10) : 1;
  }
  return total;
}

/** GPUs in a TRES string ("cpu=2,mem=1000M,node=2,billing=2,gres/gpu=8,gres/gpu:h100=8"): the untyped gres/gpu count. */
export function gpusInTres(tres: string | null | undefined): number {
  if (!tres) return 0;
  for (const entry of tres.split(',')) {
    const m = /^gres\/gpu=(\d+)$/.exec(entry.trim());
    if (m) return Number.parseInt(m[1] as string, 10);
  }
  return 0;
}
