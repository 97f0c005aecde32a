-- max_duration_minutes was kept by the agent alone: 360 is what a datasource got unless created with
-- another value, and the first change sent to its agent records the agent's own value.
-- A retired datasource (deleted_at) frees its name: the unique index covers live rows only.
DROP INDEX "datasources_agent_id_name_unique";--> statement-breakpoint
ALTER TABLE "datasources" ADD COLUMN "max_duration_minutes" integer DEFAULT 360 NOT NULL;--> statement-breakpoint
ALTER TABLE "datasources" ADD COLUMN "tags" text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE "datasources" ADD COLUMN "note" text;--> statement-breakpoint
ALTER TABLE "datasources" ADD COLUMN "deleted_at" bigint;--> statement-breakpoint
CREATE UNIQUE INDEX "datasources_agent_id_name_live_unique" ON "datasources" USING btree ("agent_id","name") WHERE "datasources"."deleted_at" IS NULL;