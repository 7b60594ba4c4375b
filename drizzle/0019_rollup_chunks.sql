-- Compressed 1-minute rollups. The rollup worker adds to rows of telemetry_rollup_1m; once an hour has closed, the
-- compaction worker (src/server/services/telemetry/rollup-store.ts) rewrites the hour of each series into one row here:
-- bucket minutes and min / max / sum / count column-encoded in `data` (encodeRollupWindow in chunk-codec.ts). Monthly
-- partitions on window_start with the rollups' retention, dropped whole like theirs.
CREATE TABLE "telemetry_rollup_1m_chunks" (
  "series_id" integer NOT NULL,
  "window_start" timestamp with time zone NOT NULL,
  "buckets" integer NOT NULL,
  "data" bytea NOT NULL,
  PRIMARY KEY ("series_id", "window_start")
) PARTITION BY RANGE ("window_start");
--> statement-breakpoint
-- The write table had a BRIN and a btree index on ts; the btree (0012, the compactor's min(ts)) does everything the
-- BRIN did, so every COPYed sample now updates two indexes instead of three.
DROP INDEX IF EXISTS "telemetry_samples_ts_brin";
--> statement-breakpoint
-- The owner-run partition functions (0009, 0014) accept the new table's monthly partitions.
CREATE OR REPLACE FUNCTION plenum_create_partition(parent text, child text, from_at timestamptz, to_at timestamptz) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF parent NOT IN ('telemetry_samples', 'telemetry_chunks', 'telemetry_rollup_1m', 'telemetry_rollup_1h', 'telemetry_rollup_1m_chunks') OR child !~ ('^' || parent || '_p[0-9]{6}([0-9]{2})?$') THEN
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
       AND p.relname IN ('telemetry_samples', 'telemetry_chunks', 'telemetry_rollup_1m', 'telemetry_rollup_1h', 'telemetry_rollup_1m_chunks')
       AND c.relname ~ ('^' || p.relname || '_p[0-9]{6}([0-9]{2})?$')
  ) THEN
    RAISE EXCEPTION 'not a telemetry partition: %', child USING ERRCODE = '42501';
  END IF;
  EXECUTE format('DROP TABLE IF EXISTS %I', child);
END;
$$;
