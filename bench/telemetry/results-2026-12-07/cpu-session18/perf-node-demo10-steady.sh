#!/bin/bash
# demo@10s head with --perf-basic-prof; perf record of the Plenum process for 90 s, 5 min into the measured run.
cd /work/main
NODE_OPTIONS=--perf-basic-prof npx tsx bench/telemetry/versus-prometheus.ts --seed demo --interval 10000 --seconds 230 --cpu-only > /work/results/perfs.out 2> /work/results/perfs.err &
until grep -q "measuring" /work/results/perfs.err; do sleep 2; done
sleep 130
PID=$(pgrep -n -f "loader.mjs bench/telemetry/versus-prometheus.ts")
echo PID $PID
perf record -F 999 -g -p $PID -o /work/results/perfs.data -- sleep 60 2> /work/results/perfs-record.err
wait
perf report -i /work/results/perfs.data --no-children --sort sym --stdio -g none 2>/dev/null | head -120 > /work/results/perfs-self.txt
perf report -i /work/results/perfs.data --children --sort sym --stdio -g none 2>/dev/null | head -250 > /work/results/perfs-children.txt
perf report -i /work/results/perfs.data --no-children --sort comm,dso --stdio -g none 2>/dev/null | head -40 > /work/results/perfs-dso.txt
echo finished
