ALTER TABLE "destinations" ADD COLUMN "delete_denied_at" bigint;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "locked_until" bigint;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "retention_note" text;