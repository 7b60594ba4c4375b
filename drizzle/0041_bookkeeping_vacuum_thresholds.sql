-- Autovacuum on the small tables that timers rewrite all day, after 5,000 changed rows instead of 50 plus a fifth (or a
-- tenth, for analyze) of the table: the latest values (every flush), the scrape targets' health (every second), the
-- instance registry (every 2 s) and the worker heartbeats (every 5 s). At the default each of them was vacuumed and
-- analyzed about once a minute, whatever the site's size: 155 of the 248 autovacuum runs in a 30-minute demo window,
-- ~12 ms of CPU each, for tables of a few hundred rows (docs/BENCHMARKS.md). What the planner reads from them does not
-- change with these updates (the same rows with newer timestamps), and the dead rows waiting for a vacuum are bounded
-- by the threshold: a few megabytes at most, less where updates stay on their page (the latest values' fillfactor 50).
-- The rollup queue keeps the default: its TOASTed rows need their space back sooner.
ALTER TABLE "telemetry_latest_blocks" SET (autovacuum_vacuum_threshold = 5000, autovacuum_analyze_threshold = 5000);
--> statement-breakpoint
ALTER TABLE "scrape_targets" SET (autovacuum_vacuum_threshold = 5000, autovacuum_analyze_threshold = 5000);
--> statement-breakpoint
ALTER TABLE "instances" SET (autovacuum_vacuum_threshold = 5000, autovacuum_analyze_threshold = 5000);
--> statement-breakpoint
ALTER TABLE "worker_heartbeats" SET (autovacuum_vacuum_threshold = 5000, autovacuum_analyze_threshold = 5000);
