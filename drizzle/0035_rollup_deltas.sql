-- The rollup queue in a binary form (services/telemetry/rollups.ts): each committed flush enqueues its partial
-- aggregates per (series, minute) as one bytea of fixed 36-byte entries (series id and minute as int4, min, max and
-- sum as float8, count as int4, big-endian), and the rollup worker combines them in Node and COPYs the 1-minute blocks.
-- The array-column queue made PostgreSQL parse every number on the way in and unnest, hash, sort and re-aggregate
-- each entry on the way out, most of a sample's rollup cost. Stored out of line uncompressed: floats do not compress,
-- and trying costs CPU on every insert. `min_minute` is the first minute a flush touches (0034's column of the old
-- queue): the stored site trends recompute from there while it is queued.
CREATE TABLE "telemetry_rollup_deltas" (
  "id" bigserial PRIMARY KEY NOT NULL,
  "enqueued_at" timestamp with time zone DEFAULT now() NOT NULL,
  "min_minute" integer,
  "max_minute" integer NOT NULL,
  "entries" integer NOT NULL,
  "deltas" bytea NOT NULL
);
--> statement-breakpoint
ALTER TABLE "telemetry_rollup_deltas" ALTER COLUMN "deltas" SET STORAGE EXTERNAL;
--> statement-breakpoint
-- An array-column queue row in the binary form, in the arrays' order.
CREATE FUNCTION "telemetry_rollup_deltas_of"("series_ids" integer[], "minutes" integer[], "mins" double precision[],
  "maxs" double precision[], "sums" double precision[], "counts" integer[]) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(string_agg(int4send(u.s) || int4send(u.m) || float8send(u.mn) || float8send(u.mx) || float8send(u.sm) || int4send(u.c), ''::bytea ORDER BY u.n), ''::bytea)
    FROM unnest(series_ids, minutes, mins, maxs, sums, counts) WITH ORDINALITY AS u(s, m, mn, mx, sm, c, n)
$$;
--> statement-breakpoint
-- Nothing may enqueue into the old table while its rows move (an older instance's flush waits, then takes the trigger).
LOCK TABLE "telemetry_rollup_queue" IN EXCLUSIVE MODE;
--> statement-breakpoint
INSERT INTO "telemetry_rollup_deltas" ("enqueued_at", "min_minute", "max_minute", "entries", "deltas")
SELECT "enqueued_at", "min_minute", "max_minute", cardinality("series_ids"), "telemetry_rollup_deltas_of"("series_ids", "minutes", "mins", "maxs", "sums", "counts")
  FROM "telemetry_rollup_queue" ORDER BY "id";
--> statement-breakpoint
DELETE FROM "telemetry_rollup_queue";
--> statement-breakpoint
-- The old table stays, empty, for instances not upgraded yet: their flush's enqueue lands in the new queue instead,
-- and their rollup worker, finding the old table empty, takes nothing (so it can lose nothing).
CREATE FUNCTION "telemetry_rollup_queue_into_deltas"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "telemetry_rollup_deltas" ("enqueued_at", "min_minute", "max_minute", "entries", "deltas")
  VALUES (NEW."enqueued_at", NEW."min_minute", NEW."max_minute", cardinality(NEW."series_ids"),
          "telemetry_rollup_deltas_of"(NEW."series_ids", NEW."minutes", NEW."mins", NEW."maxs", NEW."sums", NEW."counts"));
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "telemetry_rollup_queue_into_deltas" BEFORE INSERT ON "telemetry_rollup_queue" FOR EACH ROW EXECUTE FUNCTION "telemetry_rollup_queue_into_deltas"();
