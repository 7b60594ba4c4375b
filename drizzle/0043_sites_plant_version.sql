-- Sites belong to the plant too: adding, removing or editing a site (its slug, its utility capacity) bumps
-- plant_version, like every other plant table (0020, 0024, 0027). What is kept per plant version follows: the plant
-- analysis and dashboards' plant rows (a site's utility capacity tops its power chain) and the telemetry mapper, which
-- maps facility series to a site by its slug and now loads the inventory again only when plant_version moves.
CREATE TRIGGER "sites_plant_version" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "sites" FOR EACH STATEMENT EXECUTE FUNCTION "bump_plant_version"();
