CREATE TABLE "instances" (
	"id" text PRIMARY KEY NOT NULL,
	"hostname" text NOT NULL,
	"pid" integer NOT NULL,
	"version" text NOT NULL,
	"roles_requested" text[] DEFAULT '{}' NOT NULL,
	"roles_held" text[] DEFAULT '{}' NOT NULL,
	"endpoints" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"lock_key" integer NOT NULL,
	"shard_size" integer,
	"started_at" timestamp with time zone NOT NULL,
	"heartbeat_at" timestamp with time zone NOT NULL,
	"lease_expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "instances_lock_key_positive" CHECK ("instances"."lock_key" > 0),
	CONSTRAINT "instances_lease_after_heartbeat" CHECK ("instances"."lease_expires_at" >= "instances"."heartbeat_at")
);
--> statement-breakpoint
CREATE UNIQUE INDEX "instances_lock_key" ON "instances" USING btree ("lock_key");
--> statement-breakpoint
CREATE INDEX "instances_lease_expires_at" ON "instances" USING btree ("lease_expires_at");
