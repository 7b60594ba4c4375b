#!/bin/bash
# demo@10s head run with --perf-basic-prof; perf record of the Plenum process for 60 s after measuring starts.
cd /work/main
NODE_OPTIONS=--perf-basic-prof npx tsx bench/telemetry/versus-prometheus.ts --seed demo --interval 10000 --seconds 120 --cpu-only > /work/results/perf.out 2> /work/results/perf.err &
until grep -q "measuring" /work/results/perf.err; do sleep 2; done
sleep 10
PID=$(pgrep -f "loader.mjs bench/telemetry/versus-prometheus.ts" | head -1)
echo PID $PID
perf record -F 999 -g -p $PID -o /work/results/perf.data -- sleep 60 2> /work/results/perf-record.err
perf report -i /work/results/perf.data --no-children --sort sym --stdio 2>/dev/null | head -150 > /work/results/perf-sym.txt
perf report -i /work/results/perf.data --no-children --sort dso --stdio 2>/dev/null | head -40 > /work/results/perf-dso.txt
perf report -i /work/results/perf.data --children --sort sym --stdio -g none 2>/dev/null | head -200 > /work/results/perf-children.txt
wait
