-- TPUs as placeable hardware: pods (ICI domains), each chip's torus coordinates, per-link ICI health, slices, and TPU
-- slice requests on jobs. A chip is an accelerator of its TPU host; its allocation is an ordinary gpu_allocations row.
CREATE TABLE "tpu_pods" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"hall_id" integer NOT NULL,
	"generation" text NOT NULL,
	"torus" text NOT NULL,
	"dim_x" integer NOT NULL,
	"dim_y" integer NOT NULL,
	"dim_z" integer NOT NULL,
	"cube_edge" integer,
	"wrap_x" boolean DEFAULT false NOT NULL,
	"wrap_y" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tpu_pods_name_unique" UNIQUE("name"),
	CONSTRAINT "tpu_pods_torus" CHECK ("tpu_pods"."torus" IN ('2d', '3d')),
	CONSTRAINT "tpu_pods_dims_positive" CHECK ("tpu_pods"."dim_x" BETWEEN 1 AND 64 AND "tpu_pods"."dim_y" BETWEEN 1 AND 64 AND "tpu_pods"."dim_z" BETWEEN 1 AND 64),
	CONSTRAINT "tpu_pods_2d_flat" CHECK ("tpu_pods"."torus" = '3d' OR ("tpu_pods"."dim_z" = 1 AND "tpu_pods"."cube_edge" IS NULL)),
	CONSTRAINT "tpu_pods_3d_cubes" CHECK ("tpu_pods"."torus" = '2d' OR ("tpu_pods"."cube_edge" IS NOT NULL AND "tpu_pods"."cube_edge" >= 1
		AND "tpu_pods"."dim_x" % "tpu_pods"."cube_edge" = 0 AND "tpu_pods"."dim_y" % "tpu_pods"."cube_edge" = 0 AND "tpu_pods"."dim_z" % "tpu_pods"."cube_edge" = 0))
);
--> statement-breakpoint
ALTER TABLE "tpu_pods" ADD CONSTRAINT "tpu_pods_hall_id_halls_id_fk" FOREIGN KEY ("hall_id") REFERENCES "public"."halls"("id") ON DELETE restrict ON UPDATE no action;
--> statement-breakpoint
CREATE TABLE "tpu_chips" (
	"accelerator_id" integer PRIMARY KEY NOT NULL,
	"pod_id" integer NOT NULL,
	"x" integer NOT NULL,
	"y" integer NOT NULL,
	"z" integer NOT NULL,
	CONSTRAINT "tpu_chips_position_unique" UNIQUE("pod_id", "x", "y", "z"),
	CONSTRAINT "tpu_chips_coordinates_non_negative" CHECK ("tpu_chips"."x" >= 0 AND "tpu_chips"."y" >= 0 AND "tpu_chips"."z" >= 0)
);
--> statement-breakpoint
ALTER TABLE "tpu_chips" ADD CONSTRAINT "tpu_chips_accelerator_id_accelerators_id_fk" FOREIGN KEY ("accelerator_id") REFERENCES "public"."accelerators"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "tpu_chips" ADD CONSTRAINT "tpu_chips_pod_id_tpu_pods_id_fk" FOREIGN KEY ("pod_id") REFERENCES "public"."tpu_pods"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
-- One row per ICI link (chip a < chip b by accelerator id); 'down' takes every slice that needs it out of placement.
CREATE TABLE "tpu_ici_links" (
	"id" serial PRIMARY KEY NOT NULL,
	"pod_id" integer NOT NULL,
	"chip_a" integer NOT NULL,
	"chip_b" integer NOT NULL,
	"state" text DEFAULT 'up' NOT NULL,
	"changed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tpu_ici_links_pair_unique" UNIQUE("chip_a", "chip_b"),
	CONSTRAINT "tpu_ici_links_ordered" CHECK ("tpu_ici_links"."chip_a" < "tpu_ici_links"."chip_b"),
	CONSTRAINT "tpu_ici_links_state" CHECK ("tpu_ici_links"."state" IN ('up', 'down'))
);
--> statement-breakpoint
ALTER TABLE "tpu_ici_links" ADD CONSTRAINT "tpu_ici_links_pod_id_tpu_pods_id_fk" FOREIGN KEY ("pod_id") REFERENCES "public"."tpu_pods"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "tpu_ici_links" ADD CONSTRAINT "tpu_ici_links_chip_a_tpu_chips_fk" FOREIGN KEY ("chip_a") REFERENCES "public"."tpu_chips"("accelerator_id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "tpu_ici_links" ADD CONSTRAINT "tpu_ici_links_chip_b_tpu_chips_fk" FOREIGN KEY ("chip_b") REFERENCES "public"."tpu_chips"("accelerator_id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
CREATE INDEX "tpu_ici_links_pod_idx" ON "tpu_ici_links" USING btree ("pod_id");
--> statement-breakpoint
-- A job's TPU slice: its pod, shape as placed, origin (sub-cube and 2D slices) or cubes (multi-cube), and state. The
-- chips it holds are the job's gpu_allocations rows (the capacity trigger keeps two slices off one chip).
CREATE TABLE "tpu_slices" (
	"id" serial PRIMARY KEY NOT NULL,
	"pod_id" integer NOT NULL,
	"job_id" integer NOT NULL,
	"shape" text NOT NULL,
	"origin_x" integer,
	"origin_y" integer,
	"origin_z" integer,
	"cubes" integer[],
	"chips" integer NOT NULL,
	"state" text DEFAULT 'active' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"released_at" timestamp with time zone,
	CONSTRAINT "tpu_slices_state" CHECK ("tpu_slices"."state" IN ('active', 'released')),
	CONSTRAINT "tpu_slices_released_consistent" CHECK (("tpu_slices"."state" = 'active') = ("tpu_slices"."released_at" IS NULL)),
	CONSTRAINT "tpu_slices_shape_format" CHECK ("tpu_slices"."shape" ~ '^[0-9]{1,3}x[0-9]{1,3}(x[0-9]{1,3})?$'),
	CONSTRAINT "tpu_slices_chips_positive" CHECK ("tpu_slices"."chips" >= 1)
);
--> statement-breakpoint
ALTER TABLE "tpu_slices" ADD CONSTRAINT "tpu_slices_pod_id_tpu_pods_id_fk" FOREIGN KEY ("pod_id") REFERENCES "public"."tpu_pods"("id") ON DELETE restrict ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "tpu_slices" ADD CONSTRAINT "tpu_slices_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
CREATE UNIQUE INDEX "tpu_slices_one_active_per_job" ON "tpu_slices" USING btree ("job_id") WHERE "tpu_slices"."state" = 'active';
--> statement-breakpoint
CREATE INDEX "tpu_slices_pod_active_idx" ON "tpu_slices" USING btree ("pod_id") WHERE "tpu_slices"."state" = 'active';
--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "tpu_generation" text;
--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "tpu_shape" text;
--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_tpu_request_complete" CHECK (("jobs"."tpu_generation" IS NULL) = ("jobs"."tpu_shape" IS NULL));
--> statement-breakpoint
-- Every path that ends a job (the lifecycle, cancel, preemption, an engine's report) releases its slice with it.
CREATE FUNCTION "release_tpu_slice_on_job_end"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status IN ('succeeded', 'failed', 'preempted', 'cancelled', 'pending') THEN
    UPDATE tpu_slices SET state = 'released', released_at = now() WHERE job_id = NEW.id AND state = 'active';
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "jobs_release_tpu_slice" AFTER UPDATE OF "status" ON "jobs" FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION "release_tpu_slice_on_job_end"();
