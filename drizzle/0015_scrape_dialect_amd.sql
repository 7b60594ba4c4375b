-- AMD Device Metrics Exporter endpoints can be scrape targets with the `amd` dialect (src/telemetry/dialects/amd.ts).
ALTER TABLE "scrape_targets" DROP CONSTRAINT "scrape_targets_dialect";
--> statement-breakpoint
ALTER TABLE "scrape_targets" ADD CONSTRAINT "scrape_targets_dialect" CHECK ("scrape_targets"."dialect" IN ('dcgm', 'nvidia-smi', 'prometheus', 'plenum', 'amd'));
