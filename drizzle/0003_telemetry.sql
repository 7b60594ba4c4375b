CREATE TABLE "alert_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"alert_id" integer NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"state" text NOT NULL,
	"value" real,
	"actor" text DEFAULT 'system' NOT NULL
);
--> statement-breakpoint
CREATE TABLE "alert_rules" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"metric" text,
	"comparator" text DEFAULT '>' NOT NULL,
	"threshold" real NOT NULL,
	"duration_s" integer DEFAULT 0 NOT NULL,
	"severity" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	CONSTRAINT "alert_rules_name_unique" UNIQUE("name"),
	CONSTRAINT "alert_rules_kind" CHECK ("alert_rules"."kind" IN ('threshold', 'rack-power-budget', 'target-down')),
	CONSTRAINT "alert_rules_comparator" CHECK ("alert_rules"."comparator" IN ('>', '<')),
	CONSTRAINT "alert_rules_severity" CHECK ("alert_rules"."severity" IN ('warning', 'critical')),
	CONSTRAINT "alert_rules_duration_range" CHECK ("alert_rules"."duration_s" BETWEEN 0 AND 86400),
	CONSTRAINT "alert_rules_threshold_metric" CHECK ("alert_rules"."kind" <> 'threshold' OR "alert_rules"."metric" IS NOT NULL)
);
--> statement-breakpoint
CREATE TABLE "alerts" (
	"id" serial PRIMARY KEY NOT NULL,
	"rule_id" integer NOT NULL,
	"entity_key" text NOT NULL,
	"entity_label" text NOT NULL,
	"series_id" integer,
	"rack_id" integer,
	"state" text NOT NULL,
	"value" real,
	"started_at" timestamp with time zone NOT NULL,
	"acknowledged_at" timestamp with time zone,
	"acknowledged_by" text,
	"resolved_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "alerts_state" CHECK ("alerts"."state" IN ('firing', 'acknowledged', 'resolved'))
);
--> statement-breakpoint
CREATE TABLE "scrape_targets" (
	"id" serial PRIMARY KEY NOT NULL,
	"url" text NOT NULL,
	"dialect" text NOT NULL,
	"interval_ms" integer DEFAULT 10000 NOT NULL,
	"timeout_ms" integer DEFAULT 5000 NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"host_override" text,
	"managed_by" text,
	"last_attempt_at" timestamp with time zone,
	"last_success_at" timestamp with time zone,
	"last_error_at" timestamp with time zone,
	"last_error" text,
	"last_duration_ms" real,
	"last_sample_count" integer,
	"consecutive_failures" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "scrape_targets_url_unique" UNIQUE("url"),
	CONSTRAINT "scrape_targets_dialect" CHECK ("scrape_targets"."dialect" IN ('dcgm', 'nvidia-smi', 'prometheus', 'plenum')),
	CONSTRAINT "scrape_targets_interval_range" CHECK ("scrape_targets"."interval_ms" BETWEEN 250 AND 86400000),
	CONSTRAINT "scrape_targets_timeout_range" CHECK ("scrape_targets"."timeout_ms" BETWEEN 100 AND 600000)
);
--> statement-breakpoint
CREATE TABLE "telemetry_dirty_minutes" (
	"minute" timestamp with time zone PRIMARY KEY NOT NULL
);
--> statement-breakpoint
CREATE TABLE "telemetry_series" (
	"id" serial PRIMARY KEY NOT NULL,
	"series_key" text NOT NULL,
	"metric" text NOT NULL,
	"unit" text NOT NULL,
	"labels" jsonb NOT NULL,
	"gpu_uuid" text,
	"hostname" text,
	"device_name" text,
	"entity_kind" text NOT NULL,
	"accelerator_id" integer,
	"device_id" integer,
	"rack_id" integer,
	"power_node_id" integer,
	"cooling_unit_id" integer,
	"site_id" integer,
	"target_id" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "telemetry_series_entity_kind" CHECK ("telemetry_series"."entity_kind" IN ('gpu', 'device', 'rack', 'power-node', 'cooling-unit', 'site', 'unmapped'))
);
--> statement-breakpoint
ALTER TABLE "alert_events" ADD CONSTRAINT "alert_events_alert_id_alerts_id_fk" FOREIGN KEY ("alert_id") REFERENCES "public"."alerts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_rule_id_alert_rules_id_fk" FOREIGN KEY ("rule_id") REFERENCES "public"."alert_rules"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_series_id_telemetry_series_id_fk" FOREIGN KEY ("series_id") REFERENCES "public"."telemetry_series"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_rack_id_racks_id_fk" FOREIGN KEY ("rack_id") REFERENCES "public"."racks"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "telemetry_series" ADD CONSTRAINT "telemetry_series_accelerator_id_accelerators_id_fk" FOREIGN KEY ("accelerator_id") REFERENCES "public"."accelerators"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "telemetry_series" ADD CONSTRAINT "telemetry_series_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "telemetry_series" ADD CONSTRAINT "telemetry_series_rack_id_racks_id_fk" FOREIGN KEY ("rack_id") REFERENCES "public"."racks"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "telemetry_series" ADD CONSTRAINT "telemetry_series_power_node_id_power_nodes_id_fk" FOREIGN KEY ("power_node_id") REFERENCES "public"."power_nodes"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "telemetry_series" ADD CONSTRAINT "telemetry_series_cooling_unit_id_cooling_units_id_fk" FOREIGN KEY ("cooling_unit_id") REFERENCES "public"."cooling_units"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "telemetry_series" ADD CONSTRAINT "telemetry_series_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."sites"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "telemetry_series" ADD CONSTRAINT "telemetry_series_target_id_scrape_targets_id_fk" FOREIGN KEY ("target_id") REFERENCES "public"."scrape_targets"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "alert_events_alert_idx" ON "alert_events" USING btree ("alert_id","at");--> statement-breakpoint
CREATE UNIQUE INDEX "alerts_one_open_per_entity" ON "alerts" USING btree ("rule_id","entity_key") WHERE "alerts"."state" <> 'resolved';--> statement-breakpoint
CREATE INDEX "alerts_state_idx" ON "alerts" USING btree ("state","started_at");--> statement-breakpoint
CREATE UNIQUE INDEX "telemetry_series_key" ON "telemetry_series" USING btree ("series_key");--> statement-breakpoint
CREATE INDEX "telemetry_series_metric_idx" ON "telemetry_series" USING btree ("metric");--> statement-breakpoint
CREATE INDEX "telemetry_series_accelerator_idx" ON "telemetry_series" USING btree ("accelerator_id");--> statement-breakpoint
CREATE INDEX "telemetry_series_device_idx" ON "telemetry_series" USING btree ("device_id");--> statement-breakpoint
CREATE INDEX "telemetry_series_rack_idx" ON "telemetry_series" USING btree ("rack_id");--> statement-breakpoint
CREATE INDEX "telemetry_series_target_idx" ON "telemetry_series" USING btree ("target_id");--> statement-breakpoint
CREATE INDEX "telemetry_series_unmapped_idx" ON "telemetry_series" USING btree ("id") WHERE "telemetry_series"."entity_kind" = 'unmapped';