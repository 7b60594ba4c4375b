-- Time-partitioned telemetry tables (drizzle cannot express PARTITION BY RANGE). Partitions are created ahead of time
-- and dropped whole by the telemetry maintenance loop (src/server/services/telemetry/partitions.ts).
-- Rows stay narrow: no foreign key to telemetry_series (it would be checked for every COPYed row).
CREATE TABLE "telemetry_samples" (
  "series_id" integer NOT NULL,
  "ts" timestamp with time zone NOT NULL,
  "value" double precision NOT NULL
) PARTITION BY RANGE ("ts");
--> statement-breakpoint
CREATE INDEX "telemetry_samples_series_ts" ON "telemetry_samples" ("series_id", "ts");
--> statement-breakpoint
-- Rollups keep sum and count (not avg) so that coarser buckets combine exactly: avg = sum / count.
CREATE TABLE "telemetry_rollup_1m" (
  "series_id" integer NOT NULL,
  "bucket" timestamp with time zone NOT NULL,
  "min" double precision NOT NULL,
  "max" double precision NOT NULL,
  "sum" double precision NOT NULL,
  "count" integer NOT NULL,
  PRIMARY KEY ("series_id", "bucket")
) PARTITION BY RANGE ("bucket");
--> statement-breakpoint
CREATE TABLE "telemetry_rollup_1h" (
  "series_id" integer NOT NULL,
  "bucket" timestamp with time zone NOT NULL,
  "min" double precision NOT NULL,
  "max" double precision NOT NULL,
  "sum" double precision NOT NULL,
  "count" integer NOT NULL,
  PRIMARY KEY ("series_id", "bucket")
) PARTITION BY RANGE ("bucket");
--> statement-breakpoint
-- Rollups and alert checks read recent time ranges across all series: BRIN indexes stay tiny on append-ordered data.
CREATE INDEX "telemetry_samples_ts_brin" ON "telemetry_samples" USING brin ("ts");
--> statement-breakpoint
CREATE INDEX "telemetry_rollup_1m_bucket_brin" ON "telemetry_rollup_1m" USING brin ("bucket");
--> statement-breakpoint
CREATE INDEX "telemetry_rollup_1h_bucket_brin" ON "telemetry_rollup_1h" USING brin ("bucket");
