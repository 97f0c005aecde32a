CREATE TABLE "agent_events" (
	"agent_id" text NOT NULL,
	"sequence" bigint NOT NULL,
	"event_id" text NOT NULL,
	"run_id" text,
	"type" text NOT NULL,
	"data" text NOT NULL,
	"occurred_at" bigint NOT NULL,
	"received_at" bigint NOT NULL,
	CONSTRAINT "agent_events_event_id_unique" UNIQUE("event_id")
);
--> statement-breakpoint
CREATE TABLE "agent_jti" (
	"agent_id" text NOT NULL,
	"jti" text NOT NULL,
	"expires_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "agents" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"hostname" text NOT NULL,
	"key_id" text NOT NULL,
	"public_key_jwk" text NOT NULL,
	"status" text NOT NULL,
	"version" text,
	"last_seen_at" bigint,
	"last_acked_sequence" bigint DEFAULT 0 NOT NULL,
	"created_at" bigint NOT NULL,
	"revoked_at" bigint,
	CONSTRAINT "agents_key_id_unique" UNIQUE("key_id")
);
--> statement-breakpoint
CREATE TABLE "api_tokens" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"token_hash" text NOT NULL,
	"created_at" bigint NOT NULL,
	"last_used_at" bigint,
	CONSTRAINT "api_tokens_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE TABLE "datasources" (
	"id" text PRIMARY KEY NOT NULL,
	"agent_id" text NOT NULL,
	"name" text NOT NULL,
	"engine" text NOT NULL,
	"connection_redacted" text NOT NULL,
	"created_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "deliveries" (
	"id" text PRIMARY KEY NOT NULL,
	"run_id" text NOT NULL,
	"destination_id" text NOT NULL,
	"state" text NOT NULL,
	"path" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"bytes" bigint,
	"error" text,
	"updated_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "destinations" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"type" text NOT NULL,
	"config" text NOT NULL,
	"created_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "enrollment_tokens" (
	"id" text PRIMARY KEY NOT NULL,
	"token_hash" text NOT NULL,
	"expires_at" bigint NOT NULL,
	"used_at" bigint,
	"used_by_agent_id" text,
	"created_at" bigint NOT NULL,
	CONSTRAINT "enrollment_tokens_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE TABLE "runs" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"trigger" text NOT NULL,
	"agent_id" text NOT NULL,
	"datasource_id" text NOT NULL,
	"state" text NOT NULL,
	"requested_by" text,
	"idempotency_key" text NOT NULL,
	"queued_at" bigint,
	"started_at" bigint,
	"finished_at" bigint,
	"size_bytes" bigint,
	"raw_size_bytes" bigint,
	"sha256" text,
	"file_name" text,
	"error" text,
	"created_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" text PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"password_hash" text NOT NULL,
	"role" text NOT NULL,
	"created_at" bigint NOT NULL,
	CONSTRAINT "users_email_unique" UNIQUE("email")
);
--> statement-breakpoint
ALTER TABLE "agent_jti" ADD CONSTRAINT "agent_jti_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "datasources" ADD CONSTRAINT "datasources_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_destination_id_destinations_id_fk" FOREIGN KEY ("destination_id") REFERENCES "public"."destinations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "agent_events_agent_id_sequence_idx" ON "agent_events" USING btree ("agent_id","sequence");--> statement-breakpoint
CREATE UNIQUE INDEX "agent_jti_agent_id_jti_unique" ON "agent_jti" USING btree ("agent_id","jti");--> statement-breakpoint
CREATE INDEX "agent_jti_expires_at_idx" ON "agent_jti" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "deliveries_run_id_idx" ON "deliveries" USING btree ("run_id");--> statement-breakpoint
CREATE INDEX "deliveries_state_idx" ON "deliveries" USING btree ("state");--> statement-breakpoint
CREATE UNIQUE INDEX "runs_datasource_id_idempotency_key_unique" ON "runs" USING btree ("datasource_id","idempotency_key");--> statement-breakpoint
CREATE INDEX "runs_state_idx" ON "runs" USING btree ("state");