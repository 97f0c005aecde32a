ALTER TABLE "agents" ADD COLUMN "blackout" text;--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "timezone" text DEFAULT 'UTC' NOT NULL;--> statement-breakpoint
ALTER TABLE "schedules" ADD COLUMN "blackout" text;--> statement-breakpoint
ALTER TABLE "schedules" ADD COLUMN "blackout_misfire" text DEFAULT 'defer' NOT NULL;