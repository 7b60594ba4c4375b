-- Chunks that grow to a roughly constant size (issue 18): a compressed chunk of raw samples, and one of 1-minute
-- rollups, now takes in the series' following windows until it holds enough samples (or buckets), spans 6 hours, or
-- reaches the end of its UTC day (so it never leaves its daily or monthly partition). `window_minutes` is the span the
-- chunk covers from window_start; readers select the chunks whose [window_start, window_start + window_minutes)
-- overlaps their range. Existing rows keep the fixed windows they were written with (30 minutes, one hour).
ALTER TABLE "telemetry_chunks" ADD COLUMN "window_minutes" smallint DEFAULT 30 NOT NULL;
--> statement-breakpoint
ALTER TABLE "telemetry_rollup_1m_chunks" ADD COLUMN "window_minutes" smallint DEFAULT 60 NOT NULL;
