-- Autovacuum on the compressed chunk partitions (samples, daily; 1-minute rollups, monthly) after 1,000 dead row
-- versions, instead of 50 plus a fifth of the table. Compaction rewrites every growing chunk once per 30-minute window
-- (its row is updated with the window appended), so each window leaves one dead version per series: at the default a
-- day's partition was vacuumed ever more rarely as it filled, and the free space of those versions was not there for
-- the next window's rewrites to reuse. Measured over simulated weeks (bench/telemetry/disk-steady-state.ts,
-- docs/BENCHMARKS.md): a completed day of chunks took about twice its live rows on disk. With a vacuum after each
-- window the space of one window's versions is reused by the next. The vacuum reads only the pages changed since the
-- last one (the visibility map skips the rest), the same work the live benchmark already charges to every window.
DO $$
DECLARE
  part regclass;
BEGIN
  FOR part IN SELECT i.inhrelid::regclass FROM pg_inherits i
                WHERE i.inhparent IN ('telemetry_chunks'::regclass, 'telemetry_rollup_1m_chunks'::regclass) LOOP
    EXECUTE format('ALTER TABLE %s SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000, '
                   'toast.autovacuum_vacuum_scale_factor = 0, toast.autovacuum_vacuum_threshold = 1000)', part);
  END LOOP;
END $$;
--> statement-breakpoint
-- New partitions get the same (the owner-run partition function of 0009 / 0031 / 0036 / 0039 / 0040).
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
  IF parent IN ('telemetry_chunks', 'telemetry_rollup_1m_chunks') THEN
    EXECUTE format('ALTER TABLE %I SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000, '
                   'toast.autovacuum_vacuum_scale_factor = 0, toast.autovacuum_vacuum_threshold = 1000)', child);
  END IF;
END;
$$;
