ALTER TABLE "deliveries" ADD COLUMN "damaged_at" bigint;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "damage" text;