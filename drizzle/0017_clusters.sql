-- The cluster registry: the job engines (Slurm through slurmrestd, Kubernetes) whose nodes are Plenum servers.
CREATE TABLE "clusters" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"url" text NOT NULL,
	"credentials" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"options" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"last_sync_at" timestamp with time zone,
	"last_error_at" timestamp with time zone,
	"last_error" text,
	"consecutive_failures" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "clusters_name_unique" UNIQUE("name"),
	CONSTRAINT "clusters_kind" CHECK ("clusters"."kind" IN ('slurm', 'kubernetes')),
	CONSTRAINT "clusters_name_shape" CHECK ("clusters"."name" ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$'),
	CONSTRAINT "clusters_consecutive_failures_non_negative" CHECK ("clusters"."consecutive_failures" >= 0)
);
--> statement-breakpoint
CREATE TABLE "cluster_nodes" (
	"id" serial PRIMARY KEY NOT NULL,
	"cluster_id" integer NOT NULL,
	"name" text NOT NULL,
	"hostname" text,
	"device_id" integer,
	"mapping" text,
	"state" text NOT NULL,
	"reason" text DEFAULT '' NOT NULL,
	"available" boolean DEFAULT true NOT NULL,
	"gpus_total" integer DEFAULT 0 NOT NULL,
	"gpus_allocated" integer DEFAULT 0 NOT NULL,
	"partitions" text[] DEFAULT '{}'::text[] NOT NULL,
	"labels" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"taints" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "cluster_nodes_cluster_name_unique" UNIQUE("cluster_id", "name"),
	CONSTRAINT "cluster_nodes_mapping" CHECK ("cluster_nodes"."mapping" IS NULL OR "cluster_nodes"."mapping" IN ('hostname', 'explicit')),
	CONSTRAINT "cluster_nodes_mapped_how" CHECK (("cluster_nodes"."device_id" IS NULL) = ("cluster_nodes"."mapping" IS NULL)),
	CONSTRAINT "cluster_nodes_gpus_range" CHECK ("cluster_nodes"."gpus_total" >= 0 AND "cluster_nodes"."gpus_allocated" >= 0)
);
--> statement-breakpoint
CREATE TABLE "cluster_node_mappings" (
	"cluster_id" integer NOT NULL,
	"node_name" text NOT NULL,
	"device_id" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "cluster_node_mappings_pk" PRIMARY KEY("cluster_id", "node_name")
);
--> statement-breakpoint
CREATE TABLE "cluster_steering" (
	"id" serial PRIMARY KEY NOT NULL,
	"cluster_id" integer NOT NULL,
	"node_name" text NOT NULL,
	"rack_id" integer,
	"cause" text NOT NULL,
	"applied" boolean NOT NULL,
	"state" text NOT NULL,
	"last_error" text,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_action_at" timestamp with time zone DEFAULT now() NOT NULL,
	"released_at" timestamp with time zone,
	CONSTRAINT "cluster_steering_state" CHECK ("cluster_steering"."state" IN ('steered', 'advised', 'failed', 'released'))
);
--> statement-breakpoint
ALTER TABLE "cluster_nodes" ADD CONSTRAINT "cluster_nodes_cluster_id_clusters_id_fk" FOREIGN KEY ("cluster_id") REFERENCES "public"."clusters"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cluster_nodes" ADD CONSTRAINT "cluster_nodes_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cluster_node_mappings" ADD CONSTRAINT "cluster_node_mappings_cluster_id_clusters_id_fk" FOREIGN KEY ("cluster_id") REFERENCES "public"."clusters"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cluster_node_mappings" ADD CONSTRAINT "cluster_node_mappings_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cluster_steering" ADD CONSTRAINT "cluster_steering_cluster_id_clusters_id_fk" FOREIGN KEY ("cluster_id") REFERENCES "public"."clusters"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cluster_steering" ADD CONSTRAINT "cluster_steering_rack_id_racks_id_fk" FOREIGN KEY ("rack_id") REFERENCES "public"."racks"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "cluster_nodes_device_idx" ON "cluster_nodes" USING btree ("device_id");--> statement-breakpoint
-- One open steering action per node of a cluster.
CREATE UNIQUE INDEX "cluster_steering_open_unique" ON "cluster_steering" USING btree ("cluster_id","node_name") WHERE "cluster_steering"."released_at" IS NULL;--> statement-breakpoint
CREATE INDEX "cluster_steering_rack_idx" ON "cluster_steering" USING btree ("rack_id");--> statement-breakpoint
-- Jobs: where they come from (Plenum's own queue, or seen on an engine) and who runs them (the simulator or an engine).
ALTER TABLE "jobs" ADD COLUMN "origin" text DEFAULT 'plenum' NOT NULL;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "executor" jsonb DEFAULT '{"kind":"simulator"}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "cluster_id" integer;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "external_id" text;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "external_state" text;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "exit_code" integer;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "owner" text;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "external_nodes" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_origin" CHECK ("jobs"."origin" IN ('plenum', 'external'));--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_external_has_cluster" CHECK ("jobs"."origin" = 'plenum' OR ("jobs"."external_id" IS NOT NULL));--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_executor_kind" CHECK ("jobs"."executor" ->> 'kind' IN ('simulator', 'slurm', 'kubernetes'));--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_cluster_id_clusters_id_fk" FOREIGN KEY ("cluster_id") REFERENCES "public"."clusters"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "jobs_cluster_external_unique" ON "jobs" USING btree ("cluster_id","external_id") WHERE "jobs"."external_id" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "jobs_origin_idx" ON "jobs" USING btree ("origin","status");
