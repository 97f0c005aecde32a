DROP INDEX "runs_state_idx";--> statement-breakpoint
CREATE INDEX "deliveries_live_destination_id_idx" ON "deliveries" USING btree ("destination_id","state","bytes") WHERE "deliveries"."deleted_at" IS NULL;--> statement-breakpoint
CREATE INDEX "runs_state_created_at_idx" ON "runs" USING btree ("state","created_at","id");--> statement-breakpoint
CREATE INDEX "runs_datasource_id_created_at_idx" ON "runs" USING btree ("datasource_id","created_at","id");--> statement-breakpoint
CREATE INDEX "runs_agent_id_created_at_idx" ON "runs" USING btree ("agent_id","created_at","id");--> statement-breakpoint
CREATE INDEX "runs_schedule_id_created_at_idx" ON "runs" USING btree ("schedule_id","created_at","id");--> statement-breakpoint
CREATE INDEX "runs_kind_created_at_idx" ON "runs" USING btree ("kind","created_at","id","state","size_bytes","started_at","finished_at");--> statement-breakpoint
CREATE INDEX "runs_trigger_created_at_idx" ON "runs" USING btree ("trigger","created_at","id");--> statement-breakpoint
CREATE INDEX "runs_datasource_id_kind_state_finished_at_idx" ON "runs" USING btree ("datasource_id","kind","state","finished_at");