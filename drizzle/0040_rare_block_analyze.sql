-- Autoanalyze of the sample and 1-minute rollup block partitions when their row count has about doubled, instead of
-- at the default 10 % of the rows modified since the last one. Their rows are inserted every scrape and deleted by
-- compaction within an hour or two, so at that default the day's sample-block partition and the month's 1-minute block
-- partition were analyzed every few minutes (0.1-0.6 s of CPU each at 8,448 GPUs; 34 runs in a 30-minute window, 7 with
-- this, docs/BENCHMARKS.md), while what the planner takes from them does not change: the spread of the series groups,
-- and the time column's range, whose newest end it reads from the index anyway. A partition that starts empty is still
-- analyzed as it fills (at 50 rows, then each time it doubles); vacuum is unchanged.
DO $$
DECLARE
  part regclass;
BEGIN
  FOR part IN SELECT i.inhrelid::regclass FROM pg_inherits i
                WHERE i.inhparent IN ('telemetry_sample_blocks'::regclass, 'telemetry_rollup_1m_blocks'::regclass) LOOP
    EXECUTE format('ALTER TABLE %s SET (autovacuum_analyze_scale_factor = 1)', part);
  END LOOP;
END $$;
--> statement-breakpoint
-- New partitions get the same (the owner-run partition function of 0009 / 0031 / 0036 / 0039).
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
  IF parent IN ('telemetry_sample_blocks', 'telemetry_rollup_1m_blocks') THEN
    EXECUTE format('ALTER TABLE %I SET (autovacuum_vacuum_insert_threshold = -1, autovacuum_analyze_scale_factor = 1)', child);
  END IF;
END;
$$;
