-- GKE TPU device plugin endpoints can be scrape targets with the `tpu` dialect (src/telemetry/dialects/tpu.ts).
ALTER TABLE "scrape_targets" DROP CONSTRAINT "scrape_targets_dialect";
--> statement-breakpoint
ALTER TABLE "scrape_targets" ADD CONSTRAINT "scrape_targets_dialect" CHECK ("scrape_targets"."dialect" IN ('dcgm', 'nvidia-smi', 'prometheus', 'plenum', 'amd', 'tpu', 'snmp', 'redfish', 'modbus'));
