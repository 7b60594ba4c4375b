-- The latest sample of every series, kept current by each ingest flush in its own transaction
-- (services/telemetry/latest-store.ts): dashboards read "now" values from here instead of probing telemetry_samples
-- once per series. No index besides the key, so the flush's updates stay HOT; fillfactor leaves room for them.
CREATE TABLE "telemetry_latest" (
	"series_id" integer PRIMARY KEY NOT NULL REFERENCES "telemetry_series"("id") ON DELETE CASCADE,
	"ts" timestamp with time zone NOT NULL,
	"value" double precision NOT NULL
) WITH (fillfactor = 70);
--> statement-breakpoint
-- Series that already have samples in the last hour (an upgrade with telemetry running) start with their latest one.
INSERT INTO "telemetry_latest" ("series_id", "ts", "value")
SELECT DISTINCT ON ("series_id") "series_id", "ts", "value" FROM "telemetry_samples"
 WHERE "ts" > now() - interval '1 hour'
 ORDER BY "series_id", "ts" DESC;
