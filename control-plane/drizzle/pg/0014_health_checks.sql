CREATE TABLE "health_checks" (
	"id" text PRIMARY KEY NOT NULL,
	"subject_id" text NOT NULL,
	"checked_at" bigint NOT NULL,
	"result" text NOT NULL,
	"latency_ms" double precision,
	"server_version" text,
	"size_bytes" bigint,
	"free_bytes" bigint,
	"error_code" text,
	"error_message" text
);
--> statement-breakpoint
ALTER TABLE "datasources" ADD COLUMN "health_interval_minutes" integer;--> statement-breakpoint
CREATE INDEX "health_checks_subject_idx" ON "health_checks" USING btree ("subject_id","checked_at");--> statement-breakpoint
CREATE INDEX "health_checks_checked_at_idx" ON "health_checks" USING btree ("checked_at");