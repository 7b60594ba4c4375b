-- 1-hour rollups are written by compaction alone from now on (services/telemetry/rollup-store.ts): the transaction
-- that compresses a closed hour of a series' 1-minute rows stores that hour's aggregate, and readers add the 1-minute
-- rows not compressed yet (hourRollupsSql). The rollup worker used to add every minute to its hour as well, so hours
-- it stored whose minutes are still uncompressed would now be counted twice: take those minutes' sums and counts out
-- of the stored hour (min and max stay: adding the minutes back at compaction leaves them as they are), and delete the
-- hours that are left with none (never compacted: they are read from their minutes until compaction stores them).
UPDATE "telemetry_rollup_1h" h SET "sum" = h."sum" - m."sum", "count" = h."count" - m."count"
  FROM (SELECT "series_id", date_bin('1 hour', "bucket", timestamptz '1970-01-01 00:00:00+00') AS "hour",
               sum("sum") AS "sum", sum("count")::int AS "count"
          FROM "telemetry_rollup_1m" GROUP BY 1, 2) m
 WHERE h."series_id" = m."series_id" AND h."bucket" = m."hour";
--> statement-breakpoint
DELETE FROM "telemetry_rollup_1h" WHERE "count" <= 0;
--> statement-breakpoint
-- During a rolling upgrade an instance of the previous version may still hold the rollups role and add minutes to
-- hours: refuse its writes. Its statement fails whole, so the queued deltas stay queued for this version's worker.
CREATE FUNCTION "telemetry_rollup_1h_writer"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('plenum.rollup_1h_writer', true) IS DISTINCT FROM 'compaction' THEN
    RAISE EXCEPTION 'telemetry_rollup_1h is written by compaction only; this writer runs a Plenum version older than migration 0029';
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "telemetry_rollup_1h_writer" BEFORE INSERT OR UPDATE ON "telemetry_rollup_1h" FOR EACH ROW EXECUTE FUNCTION "telemetry_rollup_1h_writer"();
