-- A counter that moves with every change to what the scrapers read from scrape_targets (a target added, removed, or
-- its URL, dialect, timing, zone, facility object, options, credentials or enabled flag edited), in the changing
-- transaction: a scraper re-reads the target list when it moved (or the scrape membership changed) instead of every
-- two seconds. The scrapers' own health writes (last_attempt_at, …) do not move it.
CREATE TABLE "scrape_targets_version" (
	"id" boolean PRIMARY KEY DEFAULT true NOT NULL,
	"version" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "scrape_targets_version_single_row" CHECK ("scrape_targets_version"."id")
);
--> statement-breakpoint
INSERT INTO "scrape_targets_version" DEFAULT VALUES;
--> statement-breakpoint
CREATE FUNCTION "scrape_targets_touch"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE scrape_targets_version SET version = version + 1;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "scrape_targets_touch_rows" AFTER INSERT OR DELETE OR TRUNCATE ON "scrape_targets" FOR EACH STATEMENT
  EXECUTE FUNCTION "scrape_targets_touch"();
--> statement-breakpoint
CREATE TRIGGER "scrape_targets_touch_config" AFTER UPDATE OF "url", "dialect", "interval_ms", "timeout_ms", "enabled",
  "host_override", "managed_by", "security_zone_id", "options", "credentials", "power_node_id", "cooling_unit_id", "target_key"
  ON "scrape_targets" FOR EACH STATEMENT EXECUTE FUNCTION "scrape_targets_touch"();
