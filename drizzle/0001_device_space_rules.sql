-- Rack space rules that must hold even when two requests race: the database enforces them.
CREATE EXTENSION IF NOT EXISTS btree_gist;
--> statement-breakpoint
-- Two devices on the same face of a rack may not share a rack unit. A full-depth device occupies both faces.
ALTER TABLE "devices" ADD CONSTRAINT "devices_no_overlap_front"
  EXCLUDE USING gist ("rack_id" WITH =, "u_span" WITH &&)
  WHERE ("rack_id" IS NOT NULL AND "u_height" > 0 AND ("face" = 'front' OR "is_full_depth"));
--> statement-breakpoint
ALTER TABLE "devices" ADD CONSTRAINT "devices_no_overlap_rear"
  EXCLUDE USING gist ("rack_id" WITH =, "u_span" WITH &&)
  WHERE ("rack_id" IS NOT NULL AND "u_height" > 0 AND ("face" = 'rear' OR "is_full_depth"));
--> statement-breakpoint
-- A device must fit inside its rack, and the rack's total weight must stay under its maximum.
-- The rack row is locked so that two concurrent placements into one rack are checked one after the other.
CREATE FUNCTION plenum_check_device_in_rack() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  rack_u integer;
  rack_max_kg real;
  rack_name text;
  total_kg real;
BEGIN
  IF NEW.rack_id IS NULL THEN
    RETURN NEW;
  END IF;
  SELECT u_height, max_weight_kg, name INTO rack_u, rack_max_kg, rack_name FROM racks WHERE id = NEW.rack_id FOR UPDATE;
  IF NEW.position + GREATEST(NEW.u_height, 1) - 1 > rack_u THEN
    RAISE EXCEPTION 'device % at U% with height %U does not fit in rack % (%U)', NEW.name, NEW.position, NEW.u_height, rack_name, rack_u
      USING ERRCODE = '23514', CONSTRAINT = 'devices_fit_in_rack', COLUMN = 'position';
  END IF;
  SELECT COALESCE(SUM(weight_kg), 0) INTO total_kg FROM devices WHERE rack_id = NEW.rack_id AND id <> NEW.id;
  IF total_kg + NEW.weight_kg > rack_max_kg THEN
    RAISE EXCEPTION 'rack % would weigh % kg, over its maximum of % kg', rack_name, round((total_kg + NEW.weight_kg)::numeric, 1), rack_max_kg
      USING ERRCODE = '23514', CONSTRAINT = 'devices_rack_weight', COLUMN = 'weight_kg';
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER devices_in_rack_check BEFORE INSERT OR UPDATE OF rack_id, position, u_height, weight_kg ON devices
  FOR EACH ROW EXECUTE FUNCTION plenum_check_device_in_rack();
