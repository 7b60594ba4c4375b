-- Sign-in throttling (src/server/auth/login.ts): one counter row per (account, address), per address and per account,
-- updated under advisory locks so concurrent guesses are counted one after another.
CREATE TABLE "login_throttle" (
	"scope" text NOT NULL,
	"key" text NOT NULL,
	"failures" integer DEFAULT 0 NOT NULL,
	"window_start" timestamp with time zone DEFAULT now() NOT NULL,
	"blocked_until" timestamp with time zone,
	"last_success_at" timestamp with time zone,
	CONSTRAINT "login_throttle_scope_key_pk" PRIMARY KEY("scope","key"),
	CONSTRAINT "login_throttle_scope" CHECK ("login_throttle"."scope" IN ('account-address', 'address', 'account'))
);
--> statement-breakpoint
-- The application role (src/server/db/roles.ts) owns nothing and may not run DDL. Telemetry partitions are still
-- created ahead and dropped by the running server: through these two functions, which run as the owner and accept
-- only telemetry partition names.
CREATE OR REPLACE FUNCTION plenum_create_partition(parent text, child text, from_at timestamptz, to_at timestamptz) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF parent NOT IN ('telemetry_samples', 'telemetry_rollup_1m', 'telemetry_rollup_1h') OR child !~ ('^' || parent || '_p[0-9]{6}([0-9]{2})?$') THEN
    RAISE EXCEPTION 'not a telemetry partition: % of %', child, parent USING ERRCODE = '42501';
  END IF;
  EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)', child, parent, from_at, to_at);
END;
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION plenum_drop_partition(child text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM pg_inherits i
      JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relname = child
       AND p.relname IN ('telemetry_samples', 'telemetry_rollup_1m', 'telemetry_rollup_1h')
       AND c.relname ~ ('^' || p.relname || '_p[0-9]{6}([0-9]{2})?$')
  ) THEN
    RAISE EXCEPTION 'not a telemetry partition: %', child USING ERRCODE = '42501';
  END IF;
  EXECUTE format('DROP TABLE IF EXISTS %I', child);
END;
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION plenum_create_partition(text, text, timestamptz, timestamptz) FROM PUBLIC;
--> statement-breakpoint
REVOKE ALL ON FUNCTION plenum_drop_partition(text) FROM PUBLIC;
--> statement-breakpoint
-- The password of the application role that Plenum manages when it is given one owner URL only (roles.ts). Only the
-- owner reads it: the schema is closed to everyone else, the application role included.
CREATE SCHEMA IF NOT EXISTS "plenum_private";
--> statement-breakpoint
REVOKE ALL ON SCHEMA "plenum_private" FROM PUBLIC;
--> statement-breakpoint
CREATE TABLE "plenum_private"."app_role" (
	"role_name" text PRIMARY KEY NOT NULL,
	"password" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
