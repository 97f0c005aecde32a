CREATE TABLE "audit_log" (
	"id" text PRIMARY KEY NOT NULL,
	"at" bigint NOT NULL,
	"actor_user_id" text,
	"actor_email" text,
	"credential" text,
	"action" text NOT NULL,
	"target" text NOT NULL,
	"fields" text NOT NULL,
	"status" bigint NOT NULL,
	"error_code" text,
	"client_address" text NOT NULL,
	"request_id" text
);
--> statement-breakpoint
ALTER TABLE "api_tokens" ADD COLUMN "name" text DEFAULT 'API token' NOT NULL;--> statement-breakpoint
ALTER TABLE "api_tokens" ADD COLUMN "role" text;--> statement-breakpoint
ALTER TABLE "api_tokens" ADD COLUMN "token_prefix" text;--> statement-breakpoint
ALTER TABLE "api_tokens" ADD COLUMN "revoked_at" bigint;--> statement-breakpoint
ALTER TABLE "enrollment_tokens" ADD COLUMN "name" text;--> statement-breakpoint
ALTER TABLE "enrollment_tokens" ADD COLUMN "created_by" text;--> statement-breakpoint
ALTER TABLE "enrollment_tokens" ADD COLUMN "revoked_at" bigint;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "disabled_at" bigint;--> statement-breakpoint
CREATE INDEX "audit_log_at_idx" ON "audit_log" USING btree ("at","id");