ALTER TABLE "runs" ADD COLUMN "held_at" bigint;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "held_by" text;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "hold_reason" text;