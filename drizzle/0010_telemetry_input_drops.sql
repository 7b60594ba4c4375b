CREATE TABLE "telemetry_input_drops" (
	"reason" text PRIMARY KEY NOT NULL,
	"samples" bigint DEFAULT 0 NOT NULL,
	"last_at" timestamp with time zone DEFAULT now() NOT NULL
);
