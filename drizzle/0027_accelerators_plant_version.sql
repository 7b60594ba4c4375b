-- GPUs belong to the plant too: adding, removing or moving an accelerator (or changing its model) bumps
-- plant_version, so what is cached per plant version (the dashboards' GPU lists, the plant analysis, the simulated
-- world's inventory) follows. Health and partition changes do not: they are read live.
CREATE TRIGGER "accelerators_plant_version" AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE OF "device_id", "index", "uuid", "model_id" ON "accelerators" FOR EACH STATEMENT EXECUTE FUNCTION "bump_plant_version"();
--> statement-breakpoint
CREATE TRIGGER "accelerator_models_plant_version" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "accelerator_models" FOR EACH STATEMENT EXECUTE FUNCTION "bump_plant_version"();
