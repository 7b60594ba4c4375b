CREATE TYPE "public"."change_action" AS ENUM('create', 'update', 'delete');--> statement-breakpoint
CREATE TYPE "public"."cooling_unit_kind" AS ENUM('crah', 'crac', 'cdu', 'rear-door', 'chiller', 'dry-cooler');--> statement-breakpoint
CREATE TYPE "public"."cooling_unit_status" AS ENUM('active', 'standby', 'maintenance', 'failed');--> statement-breakpoint
CREATE TYPE "public"."accelerator_health" AS ENUM('healthy', 'degraded', 'failed');--> statement-breakpoint
CREATE TYPE "public"."airflow" AS ENUM('front-to-rear', 'rear-to-front', 'side-to-rear', 'passive', 'liquid', 'mixed');--> statement-breakpoint
CREATE TYPE "public"."device_kind" AS ENUM('server', 'switch', 'storage', 'rack-pdu', 'ups', 'crah', 'cdu', 'patch-panel', 'power-shelf', 'other');--> statement-breakpoint
CREATE TYPE "public"."device_status" AS ENUM('planned', 'active', 'maintenance', 'failed', 'decommissioned');--> statement-breakpoint
CREATE TYPE "public"."rack_face" AS ENUM('front', 'rear');--> statement-breakpoint
CREATE TYPE "public"."sharing_mode" AS ENUM('exclusive', 'mig', 'mps', 'time-slicing');--> statement-breakpoint
CREATE TYPE "public"."storage_kind" AS ENUM('nvme', 'ssd', 'hdd', 'object', 'parallel-fs');--> statement-breakpoint
CREATE TYPE "public"."access_level" AS ENUM('public', 'restricted', 'secure', 'critical');--> statement-breakpoint
CREATE TYPE "public"."compass_side" AS ENUM('north', 'south', 'east', 'west');--> statement-breakpoint
CREATE TYPE "public"."hall_cooling_type" AS ENUM('air', 'liquid', 'hybrid');--> statement-breakpoint
CREATE TYPE "public"."rack_cooling_kind" AS ENUM('air', 'rear-door', 'direct-liquid');--> statement-breakpoint
CREATE TYPE "public"."rack_status" AS ENUM('planned', 'active', 'maintenance', 'decommissioned');--> statement-breakpoint
CREATE TYPE "public"."fabric_purpose" AS ENUM('compute', 'storage', 'management', 'frontend');--> statement-breakpoint
CREATE TYPE "public"."fabric_tier" AS ENUM('node', 'leaf', 'spine', 'core');--> statement-breakpoint
CREATE TYPE "public"."fabric_topology" AS ENUM('fat-tree', 'rail-optimised', 'leaf-spine', 'flat');--> statement-breakpoint
CREATE TYPE "public"."interface_kind" AS ENUM('ethernet', 'infiniband', 'nvlink', 'management');--> statement-breakpoint
CREATE TYPE "public"."phase" AS ENUM('single', 'three');--> statement-breakpoint
CREATE TYPE "public"."power_node_kind" AS ENUM('utility-feed', 'generator', 'ats', 'switchgear', 'ups', 'pdu', 'rpp', 'power-feed', 'rack-pdu');--> statement-breakpoint
CREATE TYPE "public"."power_side" AS ENUM('A', 'B', 'N');--> statement-breakpoint
CREATE TABLE "change_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor" text NOT NULL,
	"action" "change_action" NOT NULL,
	"object_type" text NOT NULL,
	"object_id" text NOT NULL,
	"before" jsonb,
	"after" jsonb
);
--> statement-breakpoint
CREATE TABLE "cooling_served_areas" (
	"id" serial PRIMARY KEY NOT NULL,
	"unit_id" integer NOT NULL,
	"hall_id" integer,
	"row_id" integer,
	"rack_id" integer,
	CONSTRAINT "cooling_served_exactly_one" CHECK (num_nonnulls("cooling_served_areas"."hall_id", "cooling_served_areas"."row_id", "cooling_served_areas"."rack_id") = 1)
);
--> statement-breakpoint
CREATE TABLE "cooling_units" (
	"id" serial PRIMARY KEY NOT NULL,
	"site_id" integer NOT NULL,
	"kind" "cooling_unit_kind" NOT NULL,
	"name" text NOT NULL,
	"capacity_kw" real NOT NULL,
	"supply_setpoint_c" real NOT NULL,
	"redundancy_group" text NOT NULL,
	"status" "cooling_unit_status" DEFAULT 'active' NOT NULL,
	CONSTRAINT "cooling_units_site_name" UNIQUE("site_id","name"),
	CONSTRAINT "cooling_units_capacity_positive" CHECK ("cooling_units"."capacity_kw" > 0),
	CONSTRAINT "cooling_units_setpoint_range" CHECK ("cooling_units"."supply_setpoint_c" BETWEEN 5 AND 45)
);
--> statement-breakpoint
CREATE TABLE "accelerator_models" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"vendor" text NOT NULL,
	"memory_gib" real NOT NULL,
	"tdp_w" integer,
	"form_factor" text NOT NULL,
	CONSTRAINT "accelerator_models_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "accelerators" (
	"id" serial PRIMARY KEY NOT NULL,
	"device_id" integer NOT NULL,
	"index" integer NOT NULL,
	"uuid" text NOT NULL,
	"model_id" integer NOT NULL,
	"nvlink_domain" text,
	"health" "accelerator_health" DEFAULT 'healthy' NOT NULL,
	"sharing_mode" "sharing_mode" DEFAULT 'exclusive' NOT NULL,
	CONSTRAINT "accelerators_uuid_unique" UNIQUE("uuid"),
	CONSTRAINT "accelerators_device_index" UNIQUE("device_id","index"),
	CONSTRAINT "accelerators_index_range" CHECK ("accelerators"."index" >= 0)
);
--> statement-breakpoint
CREATE TABLE "device_types" (
	"id" serial PRIMARY KEY NOT NULL,
	"manufacturer_id" integer NOT NULL,
	"model" text NOT NULL,
	"slug" text NOT NULL,
	"part_number" text DEFAULT '' NOT NULL,
	"kind" "device_kind" NOT NULL,
	"u_height" integer NOT NULL,
	"is_full_depth" boolean DEFAULT true NOT NULL,
	"airflow" "airflow",
	"weight_kg" real DEFAULT 0 NOT NULL,
	"nameplate_power_w" integer DEFAULT 0 NOT NULL,
	"typical_power_w" integer DEFAULT 0 NOT NULL,
	"psu_templates" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"interface_templates" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"accelerator_slots" integer DEFAULT 0 NOT NULL,
	"accelerator_model_id" integer,
	"source" text DEFAULT 'builtin' NOT NULL,
	"source_hash" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "device_types_slug_unique" UNIQUE("slug"),
	CONSTRAINT "device_types_manufacturer_model" UNIQUE("manufacturer_id","model"),
	CONSTRAINT "device_types_u_height_range" CHECK ("device_types"."u_height" BETWEEN 0 AND 60),
	CONSTRAINT "device_types_weight_non_negative" CHECK ("device_types"."weight_kg" >= 0),
	CONSTRAINT "device_types_power_non_negative" CHECK ("device_types"."nameplate_power_w" >= 0 AND "device_types"."typical_power_w" >= 0),
	CONSTRAINT "device_types_typical_le_nameplate" CHECK ("device_types"."typical_power_w" <= "device_types"."nameplate_power_w" OR "device_types"."nameplate_power_w" = 0)
);
--> statement-breakpoint
CREATE TABLE "devices" (
	"id" serial PRIMARY KEY NOT NULL,
	"device_type_id" integer NOT NULL,
	"rack_id" integer,
	"position" integer,
	"face" "rack_face",
	"u_height" integer NOT NULL,
	"is_full_depth" boolean NOT NULL,
	"weight_kg" real DEFAULT 0 NOT NULL,
	"u_span" "int4range" GENERATED ALWAYS AS (int4range(position, position + u_height)) STORED,
	"name" text NOT NULL,
	"serial" text DEFAULT '' NOT NULL,
	"asset_tag" text,
	"status" "device_status" DEFAULT 'active' NOT NULL,
	"hostname" text,
	"bmc_address" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "devices_name_unique" UNIQUE("name"),
	CONSTRAINT "devices_asset_tag_unique" UNIQUE("asset_tag"),
	CONSTRAINT "devices_hostname_unique" UNIQUE("hostname"),
	CONSTRAINT "devices_placement_complete" CHECK (("devices"."rack_id" IS NULL AND "devices"."position" IS NULL AND "devices"."face" IS NULL) OR ("devices"."rack_id" IS NOT NULL AND "devices"."position" IS NOT NULL AND "devices"."face" IS NOT NULL)),
	CONSTRAINT "devices_position_positive" CHECK ("devices"."position" IS NULL OR "devices"."position" >= 1)
);
--> statement-breakpoint
CREATE TABLE "storage_systems" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"kind" "storage_kind" NOT NULL,
	"device_id" integer,
	"fabric_id" integer,
	"raw_capacity_tb" real NOT NULL,
	"usable_capacity_tb" real NOT NULL,
	"throughput_gbps" real NOT NULL,
	CONSTRAINT "storage_systems_name_unique" UNIQUE("name"),
	CONSTRAINT "storage_usable_le_raw" CHECK ("storage_systems"."usable_capacity_tb" <= "storage_systems"."raw_capacity_tb" AND "storage_systems"."usable_capacity_tb" > 0)
);
--> statement-breakpoint
CREATE TABLE "halls" (
	"id" serial PRIMARY KEY NOT NULL,
	"site_id" integer NOT NULL,
	"slug" text NOT NULL,
	"name" text NOT NULL,
	"cooling_type" "hall_cooling_type" NOT NULL,
	"design_it_load_kw" real NOT NULL,
	"grid_columns" integer NOT NULL,
	"grid_rows" integer NOT NULL,
	"security_zone_id" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "halls_site_slug" UNIQUE("site_id","slug"),
	CONSTRAINT "halls_design_load_positive" CHECK ("halls"."design_it_load_kw" > 0),
	CONSTRAINT "halls_grid_positive" CHECK ("halls"."grid_columns" > 0 AND "halls"."grid_rows" > 0)
);
--> statement-breakpoint
CREATE TABLE "manufacturers" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"slug" text NOT NULL,
	CONSTRAINT "manufacturers_name_unique" UNIQUE("name"),
	CONSTRAINT "manufacturers_slug_unique" UNIQUE("slug")
);
--> statement-breakpoint
CREATE TABLE "racks" (
	"id" serial PRIMARY KEY NOT NULL,
	"hall_id" integer NOT NULL,
	"row_id" integer NOT NULL,
	"name" text NOT NULL,
	"position_in_row" integer NOT NULL,
	"u_height" integer DEFAULT 42 NOT NULL,
	"max_power_kw" real NOT NULL,
	"max_weight_kg" real NOT NULL,
	"cooling_kind" "rack_cooling_kind" DEFAULT 'air' NOT NULL,
	"security_zone_id" integer,
	"status" "rack_status" DEFAULT 'active' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "racks_hall_name" UNIQUE("hall_id","name"),
	CONSTRAINT "racks_row_position" UNIQUE("row_id","position_in_row"),
	CONSTRAINT "racks_u_height_range" CHECK ("racks"."u_height" BETWEEN 1 AND 60),
	CONSTRAINT "racks_position_non_negative" CHECK ("racks"."position_in_row" >= 0),
	CONSTRAINT "racks_max_power_positive" CHECK ("racks"."max_power_kw" > 0),
	CONSTRAINT "racks_max_weight_positive" CHECK ("racks"."max_weight_kg" > 0)
);
--> statement-breakpoint
CREATE TABLE "rows" (
	"id" serial PRIMARY KEY NOT NULL,
	"hall_id" integer NOT NULL,
	"name" text NOT NULL,
	"grid_x" integer NOT NULL,
	"grid_y" integer NOT NULL,
	"cold_aisle_side" "compass_side" DEFAULT 'south' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "rows_hall_name" UNIQUE("hall_id","name"),
	CONSTRAINT "rows_id_hall" UNIQUE("id","hall_id"),
	CONSTRAINT "rows_grid_non_negative" CHECK ("rows"."grid_x" >= 0 AND "rows"."grid_y" >= 0)
);
--> statement-breakpoint
CREATE TABLE "security_zones" (
	"id" serial PRIMARY KEY NOT NULL,
	"site_id" integer NOT NULL,
	"name" text NOT NULL,
	"access_level" "access_level" NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "security_zones_site_name" UNIQUE("site_id","name")
);
--> statement-breakpoint
CREATE TABLE "sites" (
	"id" serial PRIMARY KEY NOT NULL,
	"slug" text NOT NULL,
	"name" text NOT NULL,
	"address" text DEFAULT '' NOT NULL,
	"time_zone" text DEFAULT 'UTC' NOT NULL,
	"utility_capacity_kw" real NOT NULL,
	"pue_target" real DEFAULT 1.3 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sites_slug_unique" UNIQUE("slug"),
	CONSTRAINT "sites_utility_capacity_positive" CHECK ("sites"."utility_capacity_kw" > 0),
	CONSTRAINT "sites_pue_target_range" CHECK ("sites"."pue_target" >= 1 AND "sites"."pue_target" <= 3)
);
--> statement-breakpoint
CREATE TABLE "fabric_members" (
	"fabric_id" integer NOT NULL,
	"device_id" integer NOT NULL,
	"tier" "fabric_tier" NOT NULL,
	CONSTRAINT "fabric_members_fabric_id_device_id_pk" PRIMARY KEY("fabric_id","device_id")
);
--> statement-breakpoint
CREATE TABLE "fabrics" (
	"id" serial PRIMARY KEY NOT NULL,
	"site_id" integer NOT NULL,
	"name" text NOT NULL,
	"purpose" "fabric_purpose" NOT NULL,
	"topology" "fabric_topology" NOT NULL,
	CONSTRAINT "fabrics_site_name" UNIQUE("site_id","name")
);
--> statement-breakpoint
CREATE TABLE "interfaces" (
	"id" serial PRIMARY KEY NOT NULL,
	"device_id" integer NOT NULL,
	"name" text NOT NULL,
	"kind" "interface_kind" NOT NULL,
	"speed_gbps" real NOT NULL,
	"fabric_id" integer,
	"enabled" boolean DEFAULT true NOT NULL,
	CONSTRAINT "interfaces_device_name" UNIQUE("device_id","name"),
	CONSTRAINT "interfaces_speed_positive" CHECK ("interfaces"."speed_gbps" > 0)
);
--> statement-breakpoint
CREATE TABLE "link_ends" (
	"link_id" integer NOT NULL,
	"end" text NOT NULL,
	"interface_id" integer NOT NULL,
	CONSTRAINT "link_ends_link_id_end_pk" PRIMARY KEY("link_id","end"),
	CONSTRAINT "link_ends_interface_id_unique" UNIQUE("interface_id"),
	CONSTRAINT "link_ends_end" CHECK ("link_ends"."end" IN ('a', 'b'))
);
--> statement-breakpoint
CREATE TABLE "links" (
	"id" serial PRIMARY KEY NOT NULL,
	"status" text DEFAULT 'connected' NOT NULL,
	"label" text DEFAULT '' NOT NULL
);
--> statement-breakpoint
CREATE TABLE "power_edges" (
	"upstream_id" integer NOT NULL,
	"downstream_id" integer NOT NULL,
	"priority" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "power_edges_upstream_id_downstream_id_pk" PRIMARY KEY("upstream_id","downstream_id"),
	CONSTRAINT "power_edges_no_self_loop" CHECK ("power_edges"."upstream_id" <> "power_edges"."downstream_id")
);
--> statement-breakpoint
CREATE TABLE "power_nodes" (
	"id" serial PRIMARY KEY NOT NULL,
	"site_id" integer NOT NULL,
	"kind" "power_node_kind" NOT NULL,
	"name" text NOT NULL,
	"side" "power_side" DEFAULT 'N' NOT NULL,
	"capacity_kw" real,
	"voltage_v" real,
	"amperage_a" real,
	"phase" "phase",
	"max_utilization_pct" real DEFAULT 80 NOT NULL,
	"efficiency_pct" real,
	"battery_runtime_min" real,
	"rack_id" integer,
	"device_id" integer,
	CONSTRAINT "power_nodes_site_name" UNIQUE("site_id","name"),
	CONSTRAINT "power_nodes_has_capacity" CHECK ("power_nodes"."capacity_kw" > 0 OR ("power_nodes"."voltage_v" > 0 AND "power_nodes"."amperage_a" > 0 AND "power_nodes"."phase" IS NOT NULL)),
	CONSTRAINT "power_nodes_max_util_range" CHECK ("power_nodes"."max_utilization_pct" > 0 AND "power_nodes"."max_utilization_pct" <= 100),
	CONSTRAINT "power_nodes_efficiency_range" CHECK ("power_nodes"."efficiency_pct" IS NULL OR ("power_nodes"."efficiency_pct" > 50 AND "power_nodes"."efficiency_pct" <= 100)),
	CONSTRAINT "power_nodes_rack_pdu_has_rack" CHECK ("power_nodes"."kind" <> 'rack-pdu' OR "power_nodes"."rack_id" IS NOT NULL)
);
--> statement-breakpoint
CREATE TABLE "psu_connections" (
	"id" serial PRIMARY KEY NOT NULL,
	"device_id" integer NOT NULL,
	"psu_name" text NOT NULL,
	"rack_pdu_id" integer NOT NULL,
	"side" "power_side" NOT NULL,
	"maximum_draw_w" integer NOT NULL,
	CONSTRAINT "psu_connections_device_psu" UNIQUE("device_id","psu_name"),
	CONSTRAINT "psu_connections_draw_positive" CHECK ("psu_connections"."maximum_draw_w" > 0)
);
--> statement-breakpoint
CREATE TABLE "worker_heartbeats" (
	"name" text NOT NULL,
	"instance" text NOT NULL,
	"pid" integer NOT NULL,
	"status" text NOT NULL,
	"detail" text DEFAULT '' NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"heartbeat_at" timestamp with time zone NOT NULL,
	CONSTRAINT "worker_heartbeats_name_instance_pk" PRIMARY KEY("name","instance")
);
--> statement-breakpoint
ALTER TABLE "cooling_served_areas" ADD CONSTRAINT "cooling_served_areas_unit_id_cooling_units_id_fk" FOREIGN KEY ("unit_id") REFERENCES "public"."cooling_units"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cooling_served_areas" ADD CONSTRAINT "cooling_served_areas_hall_id_halls_id_fk" FOREIGN KEY ("hall_id") REFERENCES "public"."halls"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cooling_served_areas" ADD CONSTRAINT "cooling_served_areas_row_id_rows_id_fk" FOREIGN KEY ("row_id") REFERENCES "public"."rows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cooling_served_areas" ADD CONSTRAINT "cooling_served_areas_rack_id_racks_id_fk" FOREIGN KEY ("rack_id") REFERENCES "public"."racks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cooling_units" ADD CONSTRAINT "cooling_units_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."sites"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "accelerators" ADD CONSTRAINT "accelerators_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "accelerators" ADD CONSTRAINT "accelerators_model_id_accelerator_models_id_fk" FOREIGN KEY ("model_id") REFERENCES "public"."accelerator_models"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "device_types" ADD CONSTRAINT "device_types_manufacturer_id_manufacturers_id_fk" FOREIGN KEY ("manufacturer_id") REFERENCES "public"."manufacturers"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "device_types" ADD CONSTRAINT "device_types_accelerator_model_id_accelerator_models_id_fk" FOREIGN KEY ("accelerator_model_id") REFERENCES "public"."accelerator_models"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "devices" ADD CONSTRAINT "devices_device_type_id_device_types_id_fk" FOREIGN KEY ("device_type_id") REFERENCES "public"."device_types"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "devices" ADD CONSTRAINT "devices_rack_id_racks_id_fk" FOREIGN KEY ("rack_id") REFERENCES "public"."racks"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "storage_systems" ADD CONSTRAINT "storage_systems_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "halls" ADD CONSTRAINT "halls_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."sites"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "halls" ADD CONSTRAINT "halls_security_zone_id_security_zones_id_fk" FOREIGN KEY ("security_zone_id") REFERENCES "public"."security_zones"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "racks" ADD CONSTRAINT "racks_security_zone_id_security_zones_id_fk" FOREIGN KEY ("security_zone_id") REFERENCES "public"."security_zones"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "racks" ADD CONSTRAINT "racks_row_hall_fk" FOREIGN KEY ("row_id","hall_id") REFERENCES "public"."rows"("id","hall_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rows" ADD CONSTRAINT "rows_hall_id_halls_id_fk" FOREIGN KEY ("hall_id") REFERENCES "public"."halls"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "security_zones" ADD CONSTRAINT "security_zones_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."sites"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fabric_members" ADD CONSTRAINT "fabric_members_fabric_id_fabrics_id_fk" FOREIGN KEY ("fabric_id") REFERENCES "public"."fabrics"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fabric_members" ADD CONSTRAINT "fabric_members_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fabrics" ADD CONSTRAINT "fabrics_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."sites"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "interfaces" ADD CONSTRAINT "interfaces_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "interfaces" ADD CONSTRAINT "interfaces_fabric_id_fabrics_id_fk" FOREIGN KEY ("fabric_id") REFERENCES "public"."fabrics"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "link_ends" ADD CONSTRAINT "link_ends_link_id_links_id_fk" FOREIGN KEY ("link_id") REFERENCES "public"."links"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "link_ends" ADD CONSTRAINT "link_ends_interface_id_interfaces_id_fk" FOREIGN KEY ("interface_id") REFERENCES "public"."interfaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "power_edges" ADD CONSTRAINT "power_edges_upstream_id_power_nodes_id_fk" FOREIGN KEY ("upstream_id") REFERENCES "public"."power_nodes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "power_edges" ADD CONSTRAINT "power_edges_downstream_id_power_nodes_id_fk" FOREIGN KEY ("downstream_id") REFERENCES "public"."power_nodes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "power_nodes" ADD CONSTRAINT "power_nodes_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."sites"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "power_nodes" ADD CONSTRAINT "power_nodes_rack_id_racks_id_fk" FOREIGN KEY ("rack_id") REFERENCES "public"."racks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "power_nodes" ADD CONSTRAINT "power_nodes_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "psu_connections" ADD CONSTRAINT "psu_connections_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "psu_connections" ADD CONSTRAINT "psu_connections_rack_pdu_id_power_nodes_id_fk" FOREIGN KEY ("rack_pdu_id") REFERENCES "public"."power_nodes"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "change_log_object_idx" ON "change_log" USING btree ("object_type","object_id","at");--> statement-breakpoint
CREATE INDEX "change_log_at_idx" ON "change_log" USING btree ("at");--> statement-breakpoint
CREATE INDEX "devices_rack_idx" ON "devices" USING btree ("rack_id");--> statement-breakpoint
CREATE INDEX "racks_row_idx" ON "racks" USING btree ("row_id");--> statement-breakpoint
CREATE INDEX "power_nodes_rack_idx" ON "power_nodes" USING btree ("rack_id");