-- The latest sample of every series, kept per series group (series_id >> 6, as the sample blocks) instead of one row
-- per series (services/telemetry/latest-store.ts): a flush updates one row per group it carries instead of one per
-- series, about a third of the database time and a sixty-fourth of the row versions for autovacuum. A row holds the
-- group's series in id order with their newest timestamp and value as parallel arrays (at most 64: under the TOAST
-- threshold), plus the newest and oldest of those timestamps, so the usual flush (the same series, every sample newer
-- than all stored ones) replaces the arrays whole and only other flushes merge element by element.
CREATE TABLE "telemetry_latest_blocks" (
  "series_group" integer PRIMARY KEY NOT NULL,
  "newest_ts" timestamp with time zone NOT NULL,
  "oldest_ts" timestamp with time zone NOT NULL,
  "series_ids" integer[] NOT NULL,
  "stamps" timestamp with time zone[] NOT NULL,
  "vals" double precision[] NOT NULL
) WITH (fillfactor = 50);
--> statement-breakpoint
-- Per series id, the newer of the stored and the arriving sample; on equal timestamps the stored one stays.
CREATE FUNCTION "telemetry_latest_merge"(
  "old_ids" integer[], "old_stamps" timestamp with time zone[], "old_vals" double precision[],
  "new_ids" integer[], "new_stamps" timestamp with time zone[], "new_vals" double precision[],
  OUT "newest_ts" timestamp with time zone, OUT "oldest_ts" timestamp with time zone,
  OUT "series_ids" integer[], OUT "stamps" timestamp with time zone[], OUT "vals" double precision[])
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT max(m.ts), min(m.ts), array_agg(m.id ORDER BY m.id), array_agg(m.ts ORDER BY m.id), array_agg(m.v ORDER BY m.id)
    FROM (SELECT DISTINCT ON (u.id) u.id, u.ts, u.v
            FROM (SELECT o.id, o.ts, o.v, 0 AS arrival FROM unnest(old_ids, old_stamps, old_vals) AS o(id, ts, v)
                  UNION ALL
                  SELECT n.id, n.ts, n.v, 1 FROM unnest(new_ids, new_stamps, new_vals) AS n(id, ts, v)) u
           ORDER BY u.id, u.ts DESC, u.arrival) m
$$;
--> statement-breakpoint
-- Nothing may write the old table while its rows move (an older instance's flush waits, then takes the trigger below).
LOCK TABLE "telemetry_latest" IN EXCLUSIVE MODE;
--> statement-breakpoint
INSERT INTO "telemetry_latest_blocks" ("series_group", "newest_ts", "oldest_ts", "series_ids", "stamps", "vals")
SELECT "series_id" >> 6, max("ts"), min("ts"), array_agg("series_id" ORDER BY "series_id"), array_agg("ts" ORDER BY "series_id"),
       array_agg("value" ORDER BY "series_id")
  FROM "telemetry_latest"
 GROUP BY "series_id" >> 6;
--> statement-breakpoint
DELETE FROM "telemetry_latest";
--> statement-breakpoint
-- The old table stays, empty, for instances not upgraded yet: their upsert into it lands in the blocks instead (a
-- BEFORE trigger that returns NULL skips the row, and with it the ON CONFLICT clause).
CREATE FUNCTION "telemetry_latest_into_blocks"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "telemetry_latest_blocks" AS b ("series_group", "newest_ts", "oldest_ts", "series_ids", "stamps", "vals")
  VALUES (NEW."series_id" >> 6, NEW."ts", NEW."ts", ARRAY[NEW."series_id"], ARRAY[NEW."ts"], ARRAY[NEW."value"])
  ON CONFLICT ("series_group") DO UPDATE SET ("newest_ts", "oldest_ts", "series_ids", "stamps", "vals") =
    (SELECT m."newest_ts", m."oldest_ts", m."series_ids", m."stamps", m."vals"
       FROM "telemetry_latest_merge"(b."series_ids", b."stamps", b."vals", excluded."series_ids", excluded."stamps", excluded."vals") m);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "telemetry_latest_into_blocks" BEFORE INSERT ON "telemetry_latest" FOR EACH ROW EXECUTE FUNCTION "telemetry_latest_into_blocks"();
--> statement-breakpoint
-- The row shape (series_id, ts, value), for ad-hoc SQL and tests.
CREATE VIEW "telemetry_latest_values" AS
SELECT u."series_id", u."ts", u."value"
  FROM "telemetry_latest_blocks" b
  CROSS JOIN LATERAL unnest(b."series_ids", b."stamps", b."vals") AS u("series_id", "ts", "value");
