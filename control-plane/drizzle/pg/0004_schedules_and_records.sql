CREATE TABLE "schedules" (
	"id" text PRIMARY KEY NOT NULL,
	"datasource_id" text NOT NULL,
	"name" text NOT NULL,
	"cron" text NOT NULL,
	"timezone" text NOT NULL,
	"destination_ids" text NOT NULL,
	"options" text,
	"retention" text,
	"retry" text,
	"verify" boolean DEFAULT false NOT NULL,
	"paused" boolean DEFAULT false NOT NULL,
	"last_fired_at" bigint NOT NULL,
	"created_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL,
	"deleted_at" bigint
);
--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "next_attempt_at" bigint;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "started_at" bigint;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "duration_ms" bigint;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "deleted_at" bigint;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "deletion_reason" text;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "options" text;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "fire_time" bigint;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "attempt" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "retry_of" text;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "artifact_meta" text;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "verified" boolean;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "verification" text;--> statement-breakpoint
ALTER TABLE "schedules" ADD CONSTRAINT "schedules_datasource_id_datasources_id_fk" FOREIGN KEY ("datasource_id") REFERENCES "public"."datasources"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "schedules_datasource_id_idx" ON "schedules" USING btree ("datasource_id");--> statement-breakpoint
CREATE INDEX "runs_created_at_idx" ON "runs" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "runs_schedule_id_idx" ON "runs" USING btree ("schedule_id","fire_time");