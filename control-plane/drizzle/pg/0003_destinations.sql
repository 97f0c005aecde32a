ALTER TABLE "destinations" ADD COLUMN "secrets" text;--> statement-breakpoint
ALTER TABLE "destinations" ADD COLUMN "is_default" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "destinations" ADD COLUMN "max_size_gb" double precision;--> statement-breakpoint
ALTER TABLE "destinations" ADD COLUMN "deleted_at" bigint;