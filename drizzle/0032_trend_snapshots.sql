-- Trend ranges (dashboards.trends) computed once and shared by every instance, as dashboard_snapshots are for the live
-- aggregates (services/live-aggregates.ts TrendCache): a process that holds no range yet serves the stored one while
-- the instance that computed it would still serve it. `rollup_generation`: the generation below when it was computed
-- (a range over rollups is current only while no rollups landed since).
CREATE TABLE "trend_snapshots" (
	"key" text PRIMARY KEY NOT NULL,
	"resolution" text NOT NULL,
	"rollup_generation" bigint NOT NULL,
	"computed_at_ms" bigint NOT NULL,
	"compute_ms" integer NOT NULL,
	"body" json NOT NULL,
	CONSTRAINT "trend_snapshots_key_length" CHECK (length("trend_snapshots"."key") BETWEEN 1 AND 200)
);
--> statement-breakpoint
-- One counter, bumped in the statement of every rollup run that added to the rollups (services/telemetry/rollups.ts):
-- transactional, so a reader sees the new generation only with the rollups it counts.
CREATE TABLE "rollup_generation" (
	"id" boolean PRIMARY KEY DEFAULT true NOT NULL,
	"generation" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "rollup_generation_single_row" CHECK ("rollup_generation"."id")
);
--> statement-breakpoint
INSERT INTO "rollup_generation" DEFAULT VALUES;
