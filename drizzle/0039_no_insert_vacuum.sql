-- No autovacuum runs triggered by inserts alone on the telemetry write tables: the sample blocks, the 1-minute rollup
-- blocks (both rewritten into chunks and deleted by compaction within the hour or two) and the rollup queue (taken
-- within a minute). An insert-triggered vacuum sets visibility and freezes rows that are deleted long before either
-- matters, and ran every few scrapes on a growing partition; the deletes still trigger the vacuum that reclaims them.
ALTER TABLE "telemetry_rollup_deltas" SET (autovacuum_vacuum_insert_threshold = -1);
--> statement-breakpoint
DO $$
DECLARE
  part regclass;
BEGIN
  FOR part IN SELECT i.inhrelid::regclass FROM pg_inherits i
                WHERE i.inhparent IN ('telemetry_sample_blocks'::regclass, 'telemetry_rollup_1m_blocks'::regclass) LOOP
    EXECUTE format('ALTER TABLE %s SET (autovacuum_vacuum_insert_threshold = -1)', part);
  END LOOP;
END $$;
--> statement-breakpoint
-- New partitions get the same (the owner-run partition function of 0009 / 0031 / 0036, which also gives them their
-- parent's zero statistics targets): a partitioned parent cannot hold autovacuum settings for its partitions.
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
    EXECUTE format('ALTER TABLE %I SET (autovacuum_vacuum_insert_threshold = -1)', child);
  END IF;
END;
$$;
