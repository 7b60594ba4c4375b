#!/bin/bash
# demo@10s with --perf-basic-prof; perf record of the Plenum (bench) process for 60 s, 130 s into the measured run.
DIR=${1:-/work/wt/head2}; OUT=${2:-/work/results/perf19}
mkdir -p $OUT; cd $DIR
NODE_OPTIONS=--perf-basic-prof npx tsx bench/telemetry/versus-prometheus.ts --seed demo --interval 10000 --seconds 230 --cpu-only > $OUT/run.out 2> $OUT/run.err &
until grep -q "measuring" $OUT/run.err; do sleep 2; done
sleep 130
PID=$(pgrep -n -f "loader.mjs bench/telemetry/versus-prometheus.ts")
echo PID $PID > $OUT/pid
perf record -F 999 -g -p $PID -o $OUT/perf.data -- sleep 60 2> $OUT/record.err
wait
perf report -i $OUT/perf.data --no-children --sort sym --stdio -g none 2>/dev/null | head -150 > $OUT/self.txt
perf report -i $OUT/perf.data --children --sort sym --stdio -g none 2>/dev/null | head -300 > $OUT/children.txt
rm -f $DIR/isolate-*.log /tmp/perf-*.map
echo finished > $OUT/DONE
