-- A GPU's partition mode (AMD Instinct compute and memory partitioning) is part of the plant as well: it changes what
-- the simulated world serves for that GPU. With it in the accelerators trigger, plant_version moves with everything the
-- simulator's inventory reads (sim-inventory.ts), so the simulator follows a mode change within its 2 s tick and no
-- longer re-reads the whole inventory every minute to catch one (at 100,800 GPUs ~0.75 s of CPU a minute). GPU health
-- still does not bump it: it is read live.
DROP TRIGGER "accelerators_plant_version" ON "accelerators";
--> statement-breakpoint
CREATE TRIGGER "accelerators_plant_version" AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE OF "device_id", "index", "uuid", "model_id", "compute_partition", "memory_partition" ON "accelerators" FOR EACH STATEMENT EXECUTE FUNCTION "bump_plant_version"();
