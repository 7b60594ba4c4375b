ALTER TABLE "alerts" ADD COLUMN "ack_note" text;--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "silenced_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "silenced_by" text;--> statement-breakpoint
ALTER TABLE "alert_events" ADD COLUMN "note" text;
