-- How long the stored aggregate took to compute. A process that has not computed a key itself (a fresh instance) then
-- serves the stored row for as long as the computing instance would serve its held one (services/live-aggregates.ts).
ALTER TABLE "dashboard_snapshots" ADD COLUMN "compute_ms" integer DEFAULT 0 NOT NULL;
