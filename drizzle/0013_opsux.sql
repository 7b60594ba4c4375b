ALTER TABLE "alerts" ADD COLUMN "ack_note" text;--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "silenced_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "silenced_by" text;--> statement-breakpoint
ALTER TABLE "alert_events" ADD COLUMN "note" text;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "replica_spread" text DEFAULT 'server' NOT NULL;--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_replica_spread" CHECK ("jobs"."replica_spread" IN ('server', 'rack', 'none'));
