-- The compressed sample chunks (0012) are daily telemetry partitions too: the owner-run partition functions of 0009
-- accept them, so the application role can create and drop them like the raw sample partitions.
CREATE OR REPLACE FUNCTION plenum_create_partition(parent text, child text, from_at timestamptz, to_at timestamptz) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF parent NOT IN ('telemetry_samples', 'telemetry_chunks', 'telemetry_rollup_1m', 'telemetry_rollup_1h') OR child !~ ('^' || parent || '_p[0-9]{6}([0-9]{2})?$') THEN
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
       AND p.relname IN ('telemetry_samples', 'telemetry_chunks', 'telemetry_rollup_1m', 'telemetry_rollup_1h')
       AND c.relname ~ ('^' || p.relname || '_p[0-9]{6}([0-9]{2})?$')
  ) THEN
    RAISE EXCEPTION 'not a telemetry partition: %', child USING ERRCODE = '42501';
  END IF;
  EXECUTE format('DROP TABLE IF EXISTS %I', child);
END;
$$;
