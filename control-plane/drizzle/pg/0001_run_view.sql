ALTER TABLE "runs" ADD COLUMN "request_hash" text;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "step" text;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "progress_bytes" bigint;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "cancel_reason" text;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "schedule_id" text;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "artifact_expired_at" bigint;--> statement-breakpoint
CREATE INDEX "agent_events_run_id_sequence_idx" ON "agent_events" USING btree ("run_id","sequence");