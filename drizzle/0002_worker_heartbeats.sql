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
