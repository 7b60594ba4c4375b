#!/usr/bin/env bash
# Device check for the NVML exporter on a real NVIDIA GPU host (H100/H200). No network needed.
# Run from the repository root with node_modules present:   OUT=/some/dir bash exporters/nvml/device-check.sh
# Writes at most 8 files into $OUT and finishes within ~60 s:
#   summary.txt        what ran, exit codes, pass/fail lines
#   exporter.log       the exporter's stdout/stderr
#   metrics-1.txt      /metrics, first scrape
#   metrics-2.txt      /metrics, second scrape 2 s later
#   health.json        /health
#   nvidia-smi.csv     nvidia-smi --query-gpu=… --format=csv, taken between the two scrapes
#   compare.txt        exporter (through src/telemetry's parser + dcgm dialect) vs nvidia-smi, per GPU and metric
#   env.txt            node / driver / library versions
set -u
OUT="${OUT:-./device-check-out}"
mkdir -p "$OUT"
PORT="${PORT:-19400}"
SUMMARY="$OUT/summary.txt"
: >"$SUMMARY"
say() { echo "$*" | tee -a "$SUMMARY"; }

LIB="${NVML_LIB_PATH:-}"
if [ -z "$LIB" ]; then
  for c in /usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1 /usr/lib64/libnvidia-ml.so.1 /usr/lib/libnvidia-ml.so.1; do
    [ -e "$c" ] && LIB="$c" && break
  done
  LIB="${LIB:-libnvidia-ml.so.1}"
fi

{
  echo "date: $(date -u +%FT%TZ)"
  echo "node: $(node --version 2>&1)"
  echo "lib: $LIB"
  ls -l "$LIB" 2>&1
  nvidia-smi --version 2>&1 | head -5
  nvidia-smi -L 2>&1
} >"$OUT/env.txt"

say "== starting exporter on port $PORT with $LIB"
timeout 50 node --import tsx exporters/nvml/main.ts --port "$PORT" --listen 127.0.0.1 --lib "$LIB" >"$OUT/exporter.log" 2>&1 &
EXP_PID=$!

up=0
for _ in $(seq 1 60); do
  if curl -sf "http://127.0.0.1:$PORT/health" >"$OUT/health.json" 2>/dev/null; then up=1; break; fi
  if ! kill -0 "$EXP_PID" 2>/dev/null; then break; fi
  sleep 0.25
done
if [ "$up" != 1 ]; then
  say "FAIL exporter did not come up (see exporter.log)"
  kill "$EXP_PID" 2>/dev/null
  wait "$EXP_PID" 2>/dev/null
  say "exporter exit code: $?"
  exit 1
fi
say "ok   /health: $(cat "$OUT/health.json")"

curl -sf "http://127.0.0.1:$PORT/metrics" >"$OUT/metrics-1.txt"; say "scrape 1 rc=$? lines=$(wc -l <"$OUT/metrics-1.txt")"
nvidia-smi --query-gpu=timestamp,index,uuid,name,pci.bus_id,driver_version,power.draw,power.draw.instant,enforced.power.limit,temperature.gpu,temperature.memory,utilization.gpu,utilization.memory,memory.used,memory.free,memory.reserved,memory.total,clocks.current.sm,clocks.current.memory,clocks_event_reasons.active \
  --format=csv >"$OUT/nvidia-smi.csv" 2>&1; say "nvidia-smi rc=$?"
sleep 2
curl -sf "http://127.0.0.1:$PORT/metrics" >"$OUT/metrics-2.txt"; say "scrape 2 rc=$? lines=$(wc -l <"$OUT/metrics-2.txt")"

kill -TERM "$EXP_PID" 2>/dev/null
wait "$EXP_PID" 2>/dev/null
say "exporter stopped (exit $?)"

# Compare through Plenum's own parser and dialect (no network, tsx from node_modules).
cat >"$OUT/.compare.ts" <<'TS'
import { readFileSync } from 'node:fs';
import { mapDcgm } from './src/telemetry/dialects/dcgm';
import { parseExposition } from './src/telemetry/exposition';
import { mapNvidiaSmiCsv, parseNvidiaSmiCsv } from './src/telemetry/nvidia-smi-csv';
const out = process.argv[2];
const m1 = mapDcgm(parseExposition(readFileSync(`${out}/metrics-1.txt`, 'utf8')).samples);
const m2 = mapDcgm(parseExposition(readFileSync(`${out}/metrics-2.txt`, 'utf8')).samples);
const smi = mapNvidiaSmiCsv(parseNvidiaSmiCsv(readFileSync(`${out}/nvidia-smi.csv`, 'utf8')));
const lines: string[] = [`exporter stats: ${JSON.stringify(m1.stats)}`];
// Tolerances: power, utilisation and clocks move between reads; memory and identity should match closely.
const tol: Record<string, number> = { gpu_power_w: 60, gpu_temp_c: 3, gpu_mem_temp_c: 3, gpu_util_pct: 30, gpu_mem_copy_util_pct: 30,
  gpu_fb_used_bytes: 64 * 2 ** 20, gpu_fb_free_bytes: 64 * 2 ** 20, gpu_fb_reserved_bytes: 2 ** 20, gpu_sm_clock_mhz: 600, gpu_mem_clock_mhz: 50, gpu_power_limit_w: 1 };
let fails = 0;
for (const s of smi.samples) {
  const t = tol[s.metric];
  if (t === undefined) continue;
  const e = m1.samples.find((x) => x.metric === s.metric && x.gpuUuid === s.gpuUuid);
  const ok = e !== undefined && Math.abs(e.value - s.value) <= t;
  if (!ok) fails++;
  lines.push(`${ok ? 'ok  ' : 'DIFF'} ${s.gpuUuid} ${s.metric} exporter=${e?.value ?? 'absent'} nvidia-smi=${s.value} (tolerance ${t})`);
}
for (const e1 of m1.samples.filter((s) => s.metric === 'gpu_energy_mj')) {
  const e2 = m2.samples.find((s) => s.metric === 'gpu_energy_mj' && s.gpuUuid === e1.gpuUuid);
  const p = m1.samples.find((s) => s.metric === 'gpu_power_w' && s.gpuUuid === e1.gpuUuid);
  const ok = e2 !== undefined && e2.value > e1.value;
  if (!ok) fails++;
  lines.push(`${ok ? 'ok  ' : 'DIFF'} ${e1.gpuUuid} energy grew ${e2 ? e2.value - e1.value : '?'} mJ over ~2 s (power ${p?.value} W)`);
}
const present = [...new Set(m1.samples.map((s) => s.metric))].sort();
lines.push(`metrics present: ${present.join(', ')}`);
lines.push(fails === 0 ? 'RESULT PASS' : `RESULT FAIL (${fails} differences)`);
console.log(lines.join('\n'));
process.exit(fails === 0 ? 0 : 1);
TS
cp "$OUT/.compare.ts" ./.device-compare.ts
timeout 30 node --import tsx ./.device-compare.ts "$OUT" >"$OUT/compare.txt" 2>&1
say "compare rc=$? ($(tail -1 "$OUT/compare.txt"))"
rm -f ./.device-compare.ts "$OUT/.compare.ts"
