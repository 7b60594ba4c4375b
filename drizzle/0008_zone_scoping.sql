ALTER TABLE "scrape_targets" ADD COLUMN "security_zone_id" integer;--> statement-breakpoint
ALTER TABLE "scrape_targets" ADD CONSTRAINT "scrape_targets_security_zone_id_security_zones_id_fk" FOREIGN KEY ("security_zone_id") REFERENCES "public"."security_zones"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "scrape_targets_security_zone_idx" ON "scrape_targets" USING btree ("security_zone_id");
