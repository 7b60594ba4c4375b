-- How many outlets a rack PDU has (null: not recorded), so capacity planning can count free outlets (stranded ports).
ALTER TABLE "power_nodes" ADD COLUMN "outlets" integer;--> statement-breakpoint
ALTER TABLE "power_nodes" ADD CONSTRAINT "power_nodes_outlets_range" CHECK ("power_nodes"."outlets" IS NULL OR ("power_nodes"."outlets" BETWEEN 1 AND 200 AND "power_nodes"."kind" = 'rack-pdu'));
