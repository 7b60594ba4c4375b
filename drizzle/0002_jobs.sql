CREATE TYPE "public"."job_kind" AS ENUM('training', 'inference', 'batch');--> statement-breakpoint
CREATE TYPE "public"."job_status" AS ENUM('pending', 'scheduled', 'running', 'succeeded', 'failed', 'preempted', 'cancelled');--> statement-breakpoint
CREATE TYPE "public"."job_topology" AS ENUM('nvlink-domain', 'leaf', 'rack', 'none');--> statement-breakpoint
CREATE TABLE "gpu_allocations" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"job_id" integer NOT NULL,
	"worker" integer NOT NULL,
	"accelerator_id" integer NOT NULL,
	"milli" integer NOT NULL,
	"allocated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"released_at" timestamp with time zone,
	CONSTRAINT "gpu_allocations_milli_range" CHECK ("gpu_allocations"."milli" BETWEEN 1 AND 1000),
	CONSTRAINT "gpu_allocations_worker_non_negative" CHECK ("gpu_allocations"."worker" >= 0)
);
--> statement-breakpoint
CREATE TABLE "job_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"job_id" integer NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"status" "job_status" NOT NULL,
	"reason" text DEFAULT '' NOT NULL,
	"detail" jsonb
);
--> statement-breakpoint
CREATE TABLE "jobs" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"kind" "job_kind" NOT NULL,
	"tenant_id" integer NOT NULL,
	"priority" integer DEFAULT 0 NOT NULL,
	"preemptible" boolean DEFAULT false NOT NULL,
	"workers" integer DEFAULT 1 NOT NULL,
	"replicas" integer DEFAULT 1 NOT NULL,
	"gpus_per_worker" integer NOT NULL,
	"gpu_milli" integer DEFAULT 0 NOT NULL,
	"gpu_models" text[] DEFAULT '{}'::text[] NOT NULL,
	"gpu_memory_gib" real,
	"cpu_milli" integer NOT NULL,
	"memory_mib" integer NOT NULL,
	"required_zone_level" integer DEFAULT 0 NOT NULL,
	"topology" "job_topology" DEFAULT 'none' NOT NULL,
	"estimated_duration_s" integer,
	"expected_power_w_per_gpu" real NOT NULL,
	"status" "job_status" DEFAULT 'pending' NOT NULL,
	"reason" text DEFAULT '' NOT NULL,
	"submitted_at" timestamp with time zone DEFAULT now() NOT NULL,
	"scheduled_at" timestamp with time zone,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "jobs_priority_range" CHECK ("jobs"."priority" BETWEEN -1000 AND 1000),
	CONSTRAINT "jobs_workers_range" CHECK ("jobs"."workers" BETWEEN 1 AND 1024),
	CONSTRAINT "jobs_replicas_range" CHECK ("jobs"."replicas" BETWEEN 0 AND 1024),
	CONSTRAINT "jobs_gpus_per_worker_range" CHECK ("jobs"."gpus_per_worker" BETWEEN 0 AND 8),
	CONSTRAINT "jobs_gpu_milli_range" CHECK ("jobs"."gpu_milli" BETWEEN 0 AND 999),
	CONSTRAINT "jobs_needs_gpu" CHECK ("jobs"."gpus_per_worker" >= 1 OR "jobs"."gpu_milli" > 0),
	CONSTRAINT "jobs_share_of_one_gpu" CHECK ("jobs"."gpu_milli" = 0 OR "jobs"."gpus_per_worker" <= 1),
	CONSTRAINT "jobs_gpu_memory_positive" CHECK ("jobs"."gpu_memory_gib" IS NULL OR "jobs"."gpu_memory_gib" > 0),
	CONSTRAINT "jobs_cpu_memory_non_negative" CHECK ("jobs"."cpu_milli" >= 0 AND "jobs"."memory_mib" >= 0),
	CONSTRAINT "jobs_required_zone_level_range" CHECK ("jobs"."required_zone_level" BETWEEN 0 AND 3),
	CONSTRAINT "jobs_duration_positive" CHECK ("jobs"."estimated_duration_s" IS NULL OR "jobs"."estimated_duration_s" > 0),
	CONSTRAINT "jobs_power_range" CHECK ("jobs"."expected_power_w_per_gpu" > 0 AND "jobs"."expected_power_w_per_gpu" <= 5000)
);
--> statement-breakpoint
CREATE TABLE "tenants" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"gpu_quota" integer NOT NULL,
	"cleared_zone_level" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tenants_name_unique" UNIQUE("name"),
	CONSTRAINT "tenants_gpu_quota_range" CHECK ("tenants"."gpu_quota" BETWEEN 0 AND 1000000),
	CONSTRAINT "tenants_cleared_zone_level_range" CHECK ("tenants"."cleared_zone_level" BETWEEN 0 AND 3)
);
--> statement-breakpoint
ALTER TABLE "gpu_allocations" ADD CONSTRAINT "gpu_allocations_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "gpu_allocations" ADD CONSTRAINT "gpu_allocations_accelerator_id_accelerators_id_fk" FOREIGN KEY ("accelerator_id") REFERENCES "public"."accelerators"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "job_events" ADD CONSTRAINT "job_events_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "gpu_allocations_active_accelerator_idx" ON "gpu_allocations" USING btree ("accelerator_id") WHERE "gpu_allocations"."released_at" IS NULL;--> statement-breakpoint
CREATE INDEX "gpu_allocations_job_idx" ON "gpu_allocations" USING btree ("job_id");--> statement-breakpoint
CREATE INDEX "job_events_job_idx" ON "job_events" USING btree ("job_id","at");--> statement-breakpoint
CREATE INDEX "jobs_status_idx" ON "jobs" USING btree ("status","submitted_at");--> statement-breakpoint
CREATE INDEX "jobs_tenant_idx" ON "jobs" USING btree ("tenant_id");--> statement-breakpoint
-- GPU allocation rules that must hold even when two schedulers (or a scheduler and an API call) race.
-- The accelerator row is locked FOR UPDATE, so concurrent allocations on one GPU are checked one after the other,
-- and each check reads the committed allocations of the transactions before it (a fresh snapshot per statement).
CREATE FUNCTION plenum_check_gpu_allocation() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  gpu_uuid text;
  gpu_health accelerator_health;
  used_milli integer;
BEGIN
  IF NEW.released_at IS NOT NULL THEN
    RETURN NEW;
  END IF;
  SELECT uuid, health INTO gpu_uuid, gpu_health FROM accelerators WHERE id = NEW.accelerator_id FOR UPDATE;
  IF gpu_health = 'failed' THEN
    RAISE EXCEPTION 'GPU % has failed and takes no allocations', gpu_uuid
      USING ERRCODE = '23514', CONSTRAINT = 'gpu_allocations_gpu_healthy', COLUMN = 'accelerator_id';
  END IF;
  SELECT COALESCE(SUM(milli), 0) INTO used_milli FROM gpu_allocations
    WHERE accelerator_id = NEW.accelerator_id AND released_at IS NULL AND id <> NEW.id;
  IF used_milli + NEW.milli > 1000 THEN
    RAISE EXCEPTION 'GPU % would be allocated % of 1000 milli', gpu_uuid, used_milli + NEW.milli
      USING ERRCODE = '23514', CONSTRAINT = 'gpu_allocations_accelerator_capacity', COLUMN = 'milli';
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER gpu_allocations_capacity_check BEFORE INSERT OR UPDATE OF accelerator_id, milli, released_at ON gpu_allocations
  FOR EACH ROW EXECUTE FUNCTION plenum_check_gpu_allocation();
