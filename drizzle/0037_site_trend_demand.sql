-- The stored site trends' pass recomputes the minutes still open (those queued flushes touch) only while someone reads
-- the trends: read_at_ms is when a read last asked (recorded at most every 10 s), open_covered whether the last pass
-- computed the open minutes. With nobody reading, a closed minute is computed once, when the rollup run takes it,
-- instead of the open minute on every pass.
ALTER TABLE "site_trend_state" ADD COLUMN "read_at_ms" double precision, ADD COLUMN "open_covered" boolean DEFAULT false NOT NULL;
