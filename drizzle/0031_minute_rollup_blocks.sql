-- 1-minute rollups not compressed yet land in blocks too (services/telemetry/rollup-store.ts): a row holds the buckets
-- of one minute for up to MINUTE_BLOCK_MAX series of one group (series_id >> 6), as parallel arrays, written by one
-- rollup run with a plain INSERT. A late contribution to a minute is another block, combined by readers (min = least,
-- max = greatest, sum and count added), as compaction combines it. A row per (group, minute) instead of an upserted row
-- per (series, minute) is most of what a rollup run cost. The view telemetry_rollup_1m keeps the row shape, combined
-- per series and minute, for ad-hoc SQL and tests; its INSTEAD OF trigger stores an inserted row as a block of one.
CREATE TABLE "telemetry_rollup_1m_blocks" (
  "bucket" timestamp with time zone NOT NULL,
  "series_group" integer NOT NULL,
  "series_ids" integer[] NOT NULL,
  "mins" double precision[] NOT NULL,
  "maxs" double precision[] NOT NULL,
  "sums" double precision[] NOT NULL,
  "counts" integer[] NOT NULL
) PARTITION BY RANGE ("bucket");
--> statement-breakpoint
-- Readers: a group's minutes in a range. The compactor: the oldest minute, then an hour's blocks by group range.
CREATE INDEX "telemetry_rollup_1m_blocks_group" ON "telemetry_rollup_1m_blocks" ("series_group", "bucket");
--> statement-breakpoint
CREATE INDEX "telemetry_rollup_1m_blocks_bucket" ON "telemetry_rollup_1m_blocks" ("bucket", "series_group");
--> statement-breakpoint
DO $$
DECLARE
  part record;
BEGIN
  FOR part IN
    SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
      FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
     WHERE p.relname = 'telemetry_rollup_1m'
  LOOP
    EXECUTE format('CREATE TABLE %I PARTITION OF "telemetry_rollup_1m_blocks" %s',
                   replace(part.name, 'telemetry_rollup_1m_p', 'telemetry_rollup_1m_blocks_p'), part.bound);
  END LOOP;
END
$$;
--> statement-breakpoint
-- The buckets not compressed yet move over: per minute and group, 48 series a block.
INSERT INTO "telemetry_rollup_1m_blocks" ("bucket", "series_group", "series_ids", "mins", "maxs", "sums", "counts")
SELECT "bucket", "series_id" >> 6, array_agg("series_id" ORDER BY "series_id"), array_agg("min" ORDER BY "series_id"),
       array_agg("max" ORDER BY "series_id"), array_agg("sum" ORDER BY "series_id"), array_agg("count" ORDER BY "series_id")
  FROM "telemetry_rollup_1m"
 GROUP BY "bucket", "series_id" >> 6, ("series_id" & 63) / 48;
--> statement-breakpoint
DROP TABLE "telemetry_rollup_1m";
--> statement-breakpoint
CREATE VIEW "telemetry_rollup_1m" AS
SELECT u."series_id", b."bucket", min(u."min") AS "min", max(u."max") AS "max", sum(u."sum") AS "sum", sum(u."count")::int AS "count"
  FROM "telemetry_rollup_1m_blocks" b
  CROSS JOIN LATERAL unnest(b."series_ids", b."mins", b."maxs", b."sums", b."counts") AS u("series_id", "min", "max", "sum", "count")
 GROUP BY u."series_id", b."bucket";
--> statement-breakpoint
CREATE FUNCTION "telemetry_rollup_1m_insert"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "telemetry_rollup_1m_blocks" ("bucket", "series_group", "series_ids", "mins", "maxs", "sums", "counts")
  VALUES (NEW."bucket", NEW."series_id" >> 6, ARRAY[NEW."series_id"], ARRAY[NEW."min"], ARRAY[NEW."max"], ARRAY[NEW."sum"], ARRAY[NEW."count"]);
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "telemetry_rollup_1m_insert" INSTEAD OF INSERT ON "telemetry_rollup_1m" FOR EACH ROW EXECUTE FUNCTION "telemetry_rollup_1m_insert"();
--> statement-breakpoint
-- The owner-run partition functions (0009, 0014, 0019) accept the block tables' partitions (this one's and 0030's)
-- instead of the row tables'.
CREATE OR REPLACE FUNCTION plenum_create_partition(parent text, child text, from_at timestamptz, to_at timestamptz) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF parent NOT IN ('telemetry_sample_blocks', 'telemetry_chunks', 'telemetry_rollup_1m_blocks', 'telemetry_rollup_1h', 'telemetry_rollup_1m_chunks') OR child !~ ('^' || parent || '_p[0-9]{6}([0-9]{2})?$') THEN
    RAISE EXCEPTION 'not a telemetry partition: % of %', child, parent USING ERRCODE = '42501';
  END IF;
  EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)', child, parent, from_at, to_at);
END;
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION plenum_drop_partition(child text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM pg_inherits i
      JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relname = child
       AND p.relname IN ('telemetry_sample_blocks', 'telemetry_chunks', 'telemetry_rollup_1m_blocks', 'telemetry_rollup_1h', 'telemetry_rollup_1m_chunks')
       AND c.relname ~ ('^' || p.relname || '_p[0-9]{6}([0-9]{2})?$')
  ) THEN
    RAISE EXCEPTION 'not a telemetry partition: %', child USING ERRCODE = '42501';
  END IF;
  EXECUTE format('DROP TABLE IF EXISTS %I', child);
END;
$$;
