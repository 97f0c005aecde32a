ALTER TABLE "deliveries" ADD COLUMN "scrubbed_at" bigint;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "hashed_at" bigint;