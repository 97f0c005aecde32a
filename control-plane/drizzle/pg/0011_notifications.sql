CREATE TABLE "notification_channels" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"type" text NOT NULL,
	"config" text NOT NULL,
	"secrets" text,
	"events" text NOT NULL,
	"min_severity" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "notification_conditions" (
	"condition_key" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"opened_at" bigint NOT NULL,
	"last_seen_at" bigint NOT NULL,
	"repeats" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "notification_sends" (
	"id" text PRIMARY KEY NOT NULL,
	"channel_id" text NOT NULL,
	"kind" text NOT NULL,
	"severity" text NOT NULL,
	"condition_key" text NOT NULL,
	"message" text NOT NULL,
	"state" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" bigint,
	"error" text,
	"created_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE INDEX "notification_sends_state_idx" ON "notification_sends" USING btree ("state","next_attempt_at");--> statement-breakpoint
CREATE INDEX "notification_sends_created_at_idx" ON "notification_sends" USING btree ("created_at");