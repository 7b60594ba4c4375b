-- The site trends of the last hours per 15 s bucket of the clock, computed where the data arrives instead of on every
-- read (services/site-trend-store.ts): the rollup run that takes a flush's deltas records the minutes they touch in
-- `site_trend_dirty` (same statement); a pass after it recomputes from the raw samples the buckets of those minutes and
-- of the minutes queued flushes touch (`min_minute`), and deletes the dirty rows it read, in one transaction. A read
-- of the last hour takes the stored buckets (as of the last pass while it is recent, else only the final ones, reading
-- the rest raw).
CREATE TABLE "site_trend_buckets" (
	"site_id" integer NOT NULL,
	"metric" text NOT NULL,
	"bucket" timestamp with time zone NOT NULL,
	"value" double precision NOT NULL,
	CONSTRAINT "site_trend_buckets_pkey" PRIMARY KEY ("site_id", "metric", "bucket")
);
--> statement-breakpoint
CREATE TABLE "site_trend_dirty" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"minute" integer NOT NULL
);
--> statement-breakpoint
-- covered_from_minute: buckets from this minute on are maintained (NULL: none; the next pass recomputes the kept
-- range). as_of_ms: when the last pass began (its buckets hold every sample committed before). generation: bumped on
-- every reset, so a pass that began before one does not store what it computed.
CREATE TABLE "site_trend_state" (
	"id" boolean PRIMARY KEY DEFAULT true NOT NULL,
	"covered_from_minute" integer,
	"remote_write_preference" integer,
	"as_of_ms" bigint,
	"generation" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "site_trend_state_single_row" CHECK ("site_trend_state"."id")
);
--> statement-breakpoint
INSERT INTO "site_trend_state" DEFAULT VALUES;
--> statement-breakpoint
-- The first minute a queued flush touches (NULL on rows queued before this migration: read as minute 0).
ALTER TABLE "telemetry_rollup_queue" ADD COLUMN "min_minute" integer;
--> statement-breakpoint
-- What a stored bucket depends on besides the samples: which quantity a series measures, its site and its source's
-- preference. A change to any of them makes the stored buckets stale: forget them all (the next pass recomputes).
CREATE FUNCTION "site_trend_reset"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE site_trend_state SET covered_from_minute = NULL, generation = generation + 1;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "site_trend_reset_series" AFTER UPDATE OF "entity_kind", "accelerator_id", "device_id", "rack_id", "power_node_id", "cooling_unit_id", "site_id", "quantity_labels", "target_id", "metric"
	ON "telemetry_series" FOR EACH STATEMENT EXECUTE FUNCTION "site_trend_reset"();
--> statement-breakpoint
CREATE TRIGGER "site_trend_reset_series_delete" AFTER DELETE ON "telemetry_series" FOR EACH STATEMENT EXECUTE FUNCTION "site_trend_reset"();
--> statement-breakpoint
-- A target's edit sets its preference whether or not it changes: only a changed one counts.
CREATE TRIGGER "site_trend_reset_target_preference" AFTER UPDATE OF "preference" ON "scrape_targets" FOR EACH ROW
	WHEN (OLD."preference" IS DISTINCT FROM NEW."preference") EXECUTE FUNCTION "site_trend_reset"();
--> statement-breakpoint
CREATE TRIGGER "site_trend_reset_targets_delete" AFTER DELETE ON "scrape_targets" FOR EACH STATEMENT EXECUTE FUNCTION "site_trend_reset"();
