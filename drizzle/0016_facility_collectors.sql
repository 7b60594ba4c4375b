-- Facility collectors (SNMP, Redfish, Modbus TCP) are scrape-target dialects: a target names its collector's options
-- and credentials (never returned by the API) and the facility object it reads (a power node or a cooling unit).
ALTER TABLE "scrape_targets" DROP CONSTRAINT "scrape_targets_dialect";
--> statement-breakpoint
ALTER TABLE "scrape_targets" ADD CONSTRAINT "scrape_targets_dialect" CHECK ("scrape_targets"."dialect" IN ('dcgm', 'nvidia-smi', 'prometheus', 'plenum', 'amd', 'snmp', 'redfish', 'modbus'));
--> statement-breakpoint
ALTER TABLE "scrape_targets" ADD COLUMN "options" jsonb DEFAULT '{}'::jsonb NOT NULL;
--> statement-breakpoint
ALTER TABLE "scrape_targets" ADD COLUMN "credentials" jsonb DEFAULT '{}'::jsonb NOT NULL;
--> statement-breakpoint
ALTER TABLE "scrape_targets" ADD COLUMN "power_node_id" integer;
--> statement-breakpoint
ALTER TABLE "scrape_targets" ADD COLUMN "cooling_unit_id" integer;
--> statement-breakpoint
ALTER TABLE "scrape_targets" ADD CONSTRAINT "scrape_targets_power_node_id_power_nodes_id_fk" FOREIGN KEY ("power_node_id") REFERENCES "public"."power_nodes"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "scrape_targets" ADD CONSTRAINT "scrape_targets_cooling_unit_id_cooling_units_id_fk" FOREIGN KEY ("cooling_unit_id") REFERENCES "public"."cooling_units"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "scrape_targets" ADD CONSTRAINT "scrape_targets_one_facility_object" CHECK (num_nonnulls("scrape_targets"."power_node_id", "scrape_targets"."cooling_unit_id") <= 1);
--> statement-breakpoint
-- Several devices may sit behind one agent address (SNMP contexts, a Modbus gateway's unit ids): a target is unique by
-- its URL and its key (the facility object plus what the collector says tells devices apart; '' for HTTP targets).
ALTER TABLE "scrape_targets" ADD COLUMN "target_key" text DEFAULT '' NOT NULL;
--> statement-breakpoint
ALTER TABLE "scrape_targets" DROP CONSTRAINT "scrape_targets_url_unique";
--> statement-breakpoint
ALTER TABLE "scrape_targets" ADD CONSTRAINT "scrape_targets_url_key_unique" UNIQUE("url","target_key");
--> statement-breakpoint
CREATE INDEX "scrape_targets_power_node_idx" ON "scrape_targets" USING btree ("power_node_id");
--> statement-breakpoint
CREATE INDEX "scrape_targets_cooling_unit_idx" ON "scrape_targets" USING btree ("cooling_unit_id");
