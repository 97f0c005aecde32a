ALTER TABLE "notification_conditions" ADD COLUMN "severity" text DEFAULT 'warning' NOT NULL;--> statement-breakpoint
ALTER TABLE "notification_conditions" ADD COLUMN "subject" text DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE "notification_conditions" ADD COLUMN "title" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "notification_conditions" ADD COLUMN "closed_at" bigint;