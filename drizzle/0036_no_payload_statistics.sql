-- No planner statistics on the telemetry tables' payload columns (the arrays of the block tables, the encoded chunks,
-- the queued deltas): no query filters or joins on them, yet every autovacuum ANALYZE of a block table sampled up to
-- 30,000 rows of 64-element arrays and computed their most common elements and histograms, seconds of CPU each, every
-- few scrapes (measured on 31k blocks: 4.0-5.5 s with them, 0.2 s without). The key and time columns keep theirs.
ALTER TABLE "telemetry_sample_blocks" ALTER COLUMN "series_ids" SET STATISTICS 0, ALTER COLUMN "stamps" SET STATISTICS 0,
  ALTER COLUMN "vals" SET STATISTICS 0;
--> statement-breakpoint
ALTER TABLE "telemetry_rollup_1m_blocks" ALTER COLUMN "series_ids" SET STATISTICS 0, ALTER COLUMN "mins" SET STATISTICS 0,
  ALTER COLUMN "maxs" SET STATISTICS 0, ALTER COLUMN "sums" SET STATISTICS 0, ALTER COLUMN "counts" SET STATISTICS 0;
--> statement-breakpoint
ALTER TABLE "telemetry_latest_blocks" ALTER COLUMN "series_ids" SET STATISTICS 0, ALTER COLUMN "stamps" SET STATISTICS 0,
  ALTER COLUMN "vals" SET STATISTICS 0;
--> statement-breakpoint
ALTER TABLE "telemetry_chunks" ALTER COLUMN "data" SET STATISTICS 0;
--> statement-breakpoint
ALTER TABLE "telemetry_rollup_1m_chunks" ALTER COLUMN "data" SET STATISTICS 0;
--> statement-breakpoint
ALTER TABLE "telemetry_rollup_deltas" ALTER COLUMN "deltas" SET STATISTICS 0;
--> statement-breakpoint
-- A partition does not take its parent's statistics targets when created: the owner-run partition function (0009,
-- 0031) gives each new partition its parent's zero targets.
CREATE OR REPLACE FUNCTION plenum_create_partition(parent text, child text, from_at timestamptz, to_at timestamptz) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  col name;
BEGIN
  IF parent NOT IN ('telemetry_sample_blocks', 'telemetry_chunks', 'telemetry_rollup_1m_blocks', 'telemetry_rollup_1h', 'telemetry_rollup_1m_chunks') OR child !~ ('^' || parent || '_p[0-9]{6}([0-9]{2})?$') THEN
    RAISE EXCEPTION 'not a telemetry partition: % of %', child, parent USING ERRCODE = '42501';
  END IF;
  EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)', child, parent, from_at, to_at);
  FOR col IN SELECT a.attname FROM pg_attribute a WHERE a.attrelid = parent::regclass AND a.attnum > 0 AND a.attstattarget = 0 LOOP
    EXECUTE format('ALTER TABLE %I ALTER COLUMN %I SET STATISTICS 0', child, col);
  END LOOP;
END;
$$;
