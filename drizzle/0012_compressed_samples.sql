-- Compressed sample storage. Samples land in the narrow write table telemetry_samples; the compaction worker
-- (src/server/services/telemetry/compaction.ts) rewrites each closed 30-minute window of a series into one row here:
-- timestamps and values column-encoded in `data` (src/server/services/telemetry/chunk-codec.ts). Daily partitions on
-- window_start, dropped whole by retention like the raw ones.
CREATE TABLE "telemetry_chunks" (
  "series_id" integer NOT NULL,
  "window_start" timestamp with time zone NOT NULL,
  "count" integer NOT NULL,
  "data" bytea NOT NULL,
  PRIMARY KEY ("series_id", "window_start")
) PARTITION BY RANGE ("window_start");
--> statement-breakpoint
-- The compactor finds the oldest raw sample with it (min(ts)); raw rows are short-lived now, so it costs little.
CREATE INDEX "telemetry_samples_ts" ON "telemetry_samples" ("ts");
--> statement-breakpoint
-- Rollups ask "does any chunk overlap these minutes?" for every run, across all series: by window alone.
CREATE INDEX "telemetry_chunks_window" ON "telemetry_chunks" ("window_start");
