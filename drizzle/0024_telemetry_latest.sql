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
--> statement-breakpoint
-- The labels that subdivide a quantity within one entity (services/telemetry/sources.ts QUANTITY_LABELS), kept by a
-- trigger, so readers of latest values need only the narrow covering index below, never the wide series rows.
ALTER TABLE "telemetry_series" ADD COLUMN "quantity_labels" jsonb DEFAULT '{}'::jsonb NOT NULL;
--> statement-breakpoint
CREATE FUNCTION "telemetry_series_quantity_labels"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.quantity_labels := jsonb_strip_nulls(jsonb_build_object(
    'sensor', NEW.labels->'sensor', 'outlet', NEW.labels->'outlet', 'phase', NEW.labels->'phase',
    'branch', NEW.labels->'branch', 'circuit', NEW.labels->'circuit', 'connector', NEW.labels->'connector',
    'psu', NEW.labels->'psu', 'GPU_I_ID', NEW.labels->'GPU_I_ID', 'GPU_CI_ID', NEW.labels->'GPU_CI_ID', 'link', NEW.labels->'link'));
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "telemetry_series_quantity_labels" BEFORE INSERT OR UPDATE OF "labels" ON "telemetry_series" FOR EACH ROW EXECUTE FUNCTION "telemetry_series_quantity_labels"();
--> statement-breakpoint
UPDATE "telemetry_series" SET "labels" = "labels"
 WHERE "labels" ?| ARRAY['sensor', 'outlet', 'phase', 'branch', 'circuit', 'connector', 'psu', 'GPU_I_ID', 'GPU_CI_ID', 'link'];
--> statement-breakpoint
CREATE INDEX "telemetry_series_latest_read_idx" ON "telemetry_series" ("metric", "site_id")
  INCLUDE ("id", "entity_kind", "accelerator_id", "device_id", "rack_id", "power_node_id", "cooling_unit_id", "target_id", "source", "ended_at", "quantity_labels");
--> statement-breakpoint
-- The network plant bumps the plant version too: fabric statistics (services/fabric-stats.ts) are cached per version.
CREATE TRIGGER "fabrics_plant_version" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "fabrics" FOR EACH STATEMENT EXECUTE FUNCTION "bump_plant_version"();
--> statement-breakpoint
CREATE TRIGGER "fabric_members_plant_version" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "fabric_members" FOR EACH STATEMENT EXECUTE FUNCTION "bump_plant_version"();
--> statement-breakpoint
CREATE TRIGGER "interfaces_plant_version" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "interfaces" FOR EACH STATEMENT EXECUTE FUNCTION "bump_plant_version"();
--> statement-breakpoint
CREATE TRIGGER "links_plant_version" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "links" FOR EACH STATEMENT EXECUTE FUNCTION "bump_plant_version"();
--> statement-breakpoint
CREATE TRIGGER "link_ends_plant_version" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "link_ends" FOR EACH STATEMENT EXECUTE FUNCTION "bump_plant_version"();
