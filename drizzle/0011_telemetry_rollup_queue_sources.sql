-- Incremental rollups: each committed flush enqueues its per-(series, minute) partial aggregates in the same
-- transaction as its COPY; the rollup worker consumes queue rows exactly once (DELETE ... RETURNING) and adds them to
-- the 1-minute and 1-hour buckets. Minutes are whole minutes since the Unix epoch.
CREATE TABLE "telemetry_rollup_queue" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"enqueued_at" timestamp with time zone DEFAULT now() NOT NULL,
	"max_minute" integer NOT NULL,
	"series_ids" integer[] NOT NULL,
	"minutes" integer[] NOT NULL,
	"mins" double precision[] NOT NULL,
	"maxs" double precision[] NOT NULL,
	"sums" double precision[] NOT NULL,
	"counts" integer[] NOT NULL
);
--> statement-breakpoint
-- Minutes marked dirty by the previous design and not yet rolled up: recompute them once, the old way, then retire it.
INSERT INTO "telemetry_rollup_1m" ("series_id", "bucket", "min", "max", "sum", "count")
SELECT x.series_id, date_trunc('minute', x.ts), min(x.value), max(x.value), sum(x.value), count(*)
  FROM "telemetry_samples" x JOIN "telemetry_dirty_minutes" d ON x.ts >= d.minute AND x.ts < d.minute + interval '1 minute'
 GROUP BY 1, 2
ON CONFLICT ("series_id", "bucket") DO UPDATE SET "min" = excluded."min", "max" = excluded."max", "sum" = excluded."sum", "count" = excluded."count";
--> statement-breakpoint
INSERT INTO "telemetry_rollup_1h" ("series_id", "bucket", "min", "max", "sum", "count")
SELECT r.series_id, date_trunc('hour', r.bucket), min(r.min), max(r.max), sum(r.sum), sum(r.count)
  FROM "telemetry_rollup_1m" r
 WHERE date_trunc('hour', r.bucket) IN (SELECT DISTINCT date_trunc('hour', minute) FROM "telemetry_dirty_minutes")
 GROUP BY 1, 2
ON CONFLICT ("series_id", "bucket") DO UPDATE SET "min" = excluded."min", "max" = excluded."max", "sum" = excluded."sum", "count" = excluded."count";
--> statement-breakpoint
DROP TABLE "telemetry_dirty_minutes";
--> statement-breakpoint
-- One reading per physical quantity: where a series comes from, and how much a scrape target is preferred.
ALTER TABLE "telemetry_series" ADD COLUMN "source" text DEFAULT 'scrape' NOT NULL;
--> statement-breakpoint
UPDATE "telemetry_series" SET "source" = 'remote-write' WHERE "target_id" IS NULL;
--> statement-breakpoint
ALTER TABLE "telemetry_series" ADD CONSTRAINT "telemetry_series_source" CHECK ("telemetry_series"."source" IN ('scrape', 'remote-write', 'other'));
--> statement-breakpoint
-- A Prometheus staleness marker ended the series at this time; a later sample revives it.
ALTER TABLE "telemetry_series" ADD COLUMN "ended_at" timestamp with time zone;
--> statement-breakpoint
ALTER TABLE "scrape_targets" ADD COLUMN "preference" integer DEFAULT 100 NOT NULL;
--> statement-breakpoint
ALTER TABLE "scrape_targets" ADD CONSTRAINT "scrape_targets_preference_range" CHECK ("scrape_targets"."preference" BETWEEN 0 AND 1000);
--> statement-breakpoint
-- Units of passed-through series by the one suffix rule (src/telemetry/samples.ts unitFromSuffix), for series stored
-- under the older guesses (`*_bytes_total` as a count, `*_seconds_sum` / `*_bucket` / `*_hz` as unknown).
UPDATE "telemetry_series" SET "unit" = 'bytes' WHERE "unit" IN ('count', 'unknown') AND ("metric" LIKE '%\_bytes\_total' OR "metric" LIKE '%\_bytes\_sum');
--> statement-breakpoint
UPDATE "telemetry_series" SET "unit" = 's' WHERE "unit" = 'unknown' AND "metric" LIKE '%\_seconds\_sum';
--> statement-breakpoint
UPDATE "telemetry_series" SET "unit" = 'count' WHERE "unit" = 'unknown' AND "metric" LIKE '%\_bucket';
--> statement-breakpoint
UPDATE "telemetry_series" SET "unit" = 'Hz' WHERE "unit" = 'unknown' AND ("metric" LIKE '%\_hz' OR "metric" LIKE '%\_hertz');
--> statement-breakpoint
UPDATE "telemetry_series" SET "unit" = 'J' WHERE "unit" IN ('count', 'unknown') AND ("metric" LIKE '%\_joules' OR "metric" LIKE '%\_joules\_total');
