-- Live dashboard aggregates computed once per telemetry update and scope, shared by every instance (services/live-aggregates.ts).
CREATE TABLE "dashboard_snapshots" (
	"key" text PRIMARY KEY NOT NULL,
	"version" bigint NOT NULL,
	"computed_at_ms" bigint NOT NULL,
	"body" json NOT NULL,
	CONSTRAINT "dashboard_snapshots_key_length" CHECK (length("dashboard_snapshots"."key") BETWEEN 1 AND 200)
);
