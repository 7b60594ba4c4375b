-- Raw samples land in blocks instead of one row per sample (services/telemetry/sample-store.ts): a row holds up to
-- BLOCK_MAX_SAMPLES samples of one flush whose series share a group (series_id >> 6: 64 neighbouring ids, which one
-- scrape target's series mostly are) and whose timestamps share a 30-minute compaction window. One row and two index
-- entries per block instead of per sample is most of what writing a sample cost. Readers go through sample-store.ts
-- (rawSamplesSql); the view telemetry_samples keeps the row shape for everything else (tests, operators' ad-hoc SQL,
-- and the previous version during a rolling upgrade: its COPY goes through the INSTEAD OF trigger, a block per row).
CREATE TABLE "telemetry_sample_blocks" (
  "window_start" timestamp with time zone NOT NULL,
  "series_group" integer NOT NULL,
  "ts_min" timestamp with time zone NOT NULL,
  "ts_max" timestamp with time zone NOT NULL,
  "series_ids" integer[] NOT NULL,
  "stamps" timestamp with time zone[] NOT NULL,
  "vals" double precision[] NOT NULL
) PARTITION BY RANGE ("window_start");
--> statement-breakpoint
-- Readers: the blocks of some series' groups that reach a time range.
CREATE INDEX "telemetry_sample_blocks_group" ON "telemetry_sample_blocks" ("series_group", "ts_max");
--> statement-breakpoint
-- The compactor: the oldest window, then its blocks by group range.
CREATE INDEX "telemetry_sample_blocks_window" ON "telemetry_sample_blocks" ("window_start", "series_group");
--> statement-breakpoint
-- One block partition per raw partition, same bounds (the partitions role keeps creating and dropping them).
DO $$
DECLARE
  part record;
BEGIN
  FOR part IN
    SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
      FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
     WHERE p.relname = 'telemetry_samples'
  LOOP
    EXECUTE format('CREATE TABLE %I PARTITION OF "telemetry_sample_blocks" %s',
                   replace(part.name, 'telemetry_samples_p', 'telemetry_sample_blocks_p'), part.bound);
  END LOOP;
END
$$;
--> statement-breakpoint
-- The samples not compressed yet move over, a block per (window, group, timestamp): one scrape of a target's group.
INSERT INTO "telemetry_sample_blocks" ("window_start", "series_group", "ts_min", "ts_max", "series_ids", "stamps", "vals")
SELECT date_bin('30 minutes', "ts", timestamptz '1970-01-01 00:00:00+00'), "series_id" >> 6, "ts", "ts",
       array_agg("series_id" ORDER BY "series_id", "value"), array_agg("ts" ORDER BY "series_id", "value"), array_agg("value" ORDER BY "series_id", "value")
  FROM "telemetry_samples"
 GROUP BY 1, 2, 3;
--> statement-breakpoint
DROP TABLE "telemetry_samples";
--> statement-breakpoint
CREATE VIEW "telemetry_samples" AS
SELECT u."series_id", u."ts", u."value"
  FROM "telemetry_sample_blocks" b
  CROSS JOIN LATERAL unnest(b."series_ids", b."stamps", b."vals") AS u("series_id", "ts", "value");
--> statement-breakpoint
CREATE FUNCTION "telemetry_samples_insert"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "telemetry_sample_blocks" ("window_start", "series_group", "ts_min", "ts_max", "series_ids", "stamps", "vals")
  VALUES (date_bin('30 minutes', NEW."ts", timestamptz '1970-01-01 00:00:00+00'), NEW."series_id" >> 6, NEW."ts", NEW."ts",
          ARRAY[NEW."series_id"], ARRAY[NEW."ts"], ARRAY[NEW."value"]);
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "telemetry_samples_insert" INSTEAD OF INSERT ON "telemetry_samples" FOR EACH ROW EXECUTE FUNCTION "telemetry_samples_insert"();
