-- Live dashboard aggregates computed once per telemetry update and scope, shared by every instance (services/live-aggregates.ts).
CREATE TABLE "dashboard_snapshots" (
	"key" text PRIMARY KEY NOT NULL,
	"version" bigint NOT NULL,
	"computed_at_ms" bigint NOT NULL,
	"body" json NOT NULL,
	CONSTRAINT "dashboard_snapshots_key_length" CHECK (length("dashboard_snapshots"."key") BETWEEN 1 AND 200)
);
--> statement-breakpoint
-- One counter bumped by every statement that changes the plant (services/plant.ts caches site analyses per version).
CREATE TABLE "plant_version" (
	"id" boolean PRIMARY KEY DEFAULT true NOT NULL,
	"version" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "plant_version_single_row" CHECK ("plant_version"."id")
);
--> statement-breakpoint
INSERT INTO "plant_version" DEFAULT VALUES;
--> statement-breakpoint
CREATE FUNCTION "bump_plant_version"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE plant_version SET version = version + 1;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "halls_plant_version" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "halls" FOR EACH STATEMENT EXECUTE FUNCTION "bump_plant_version"();
--> statement-breakpoint
CREATE TRIGGER "rows_plant_version" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "rows" FOR EACH STATEMENT EXECUTE FUNCTION "bump_plant_version"();
--> statement-breakpoint
CREATE TRIGGER "racks_plant_version" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "racks" FOR EACH STATEMENT EXECUTE FUNCTION "bump_plant_version"();
--> statement-breakpoint
CREATE TRIGGER "devices_plant_version" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "devices" FOR EACH STATEMENT EXECUTE FUNCTION "bump_plant_version"();
--> statement-breakpoint
CREATE TRIGGER "device_types_plant_version" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "device_types" FOR EACH STATEMENT EXECUTE FUNCTION "bump_plant_version"();
--> statement-breakpoint
CREATE TRIGGER "power_nodes_plant_version" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "power_nodes" FOR EACH STATEMENT EXECUTE FUNCTION "bump_plant_version"();
--> statement-breakpoint
CREATE TRIGGER "power_edges_plant_version" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "power_edges" FOR EACH STATEMENT EXECUTE FUNCTION "bump_plant_version"();
--> statement-breakpoint
CREATE TRIGGER "psu_connections_plant_version" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "psu_connections" FOR EACH STATEMENT EXECUTE FUNCTION "bump_plant_version"();
--> statement-breakpoint
CREATE TRIGGER "cooling_units_plant_version" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "cooling_units" FOR EACH STATEMENT EXECUTE FUNCTION "bump_plant_version"();
--> statement-breakpoint
CREATE TRIGGER "cooling_served_areas_plant_version" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "cooling_served_areas" FOR EACH STATEMENT EXECUTE FUNCTION "bump_plant_version"();
