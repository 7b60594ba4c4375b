#!/bin/bash
# demo@10s with pg_stat_statements; snapshot after 60 s of measuring, reset, then dump after 120 s.
cd /work/main
npx tsx bench/telemetry/versus-prometheus.ts --seed demo --interval 10000 --seconds 200 --cpu-only --pg shared_preload_libraries=pg_stat_statements --pg pg_stat_statements.track_planning=on > /work/results/pgss.out 2> /work/results/pgss.err &
BP=$!
until grep -q "measuring" /work/results/pgss.err; do sleep 2; done
D=$(ls -d /tmp/plenum-bench-telemetry-*/ | head -1)
PORT=$(grep -o "^[0-9]*" <(sed -n 4p $D/pgdata/postmaster.pid))
export PGPASSWORD=$(cat $D/postgres-password)
P="psql -h 127.0.0.1 -p $PORT -U postgres -d plenum -X -q"
$P -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" -c "SELECT pg_stat_statements_reset()" > /dev/null
sleep 120
$P -c "\copy (SELECT calls, round(total_plan_time::numeric,1) plan_ms, round(total_exec_time::numeric,1) exec_ms, rows, left(regexp_replace(query, '\s+', ' ', 'g'), 110) q FROM pg_stat_statements ORDER BY total_plan_time+total_exec_time DESC LIMIT 40) TO '/work/results/pgss.csv' CSV HEADER"
wait $BP
