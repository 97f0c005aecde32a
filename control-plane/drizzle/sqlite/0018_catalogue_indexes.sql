DROP INDEX `runs_state_idx`;--> statement-breakpoint
CREATE INDEX `runs_state_created_at_idx` ON `runs` (`state`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `runs_datasource_id_created_at_idx` ON `runs` (`datasource_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `runs_agent_id_created_at_idx` ON `runs` (`agent_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `runs_schedule_id_created_at_idx` ON `runs` (`schedule_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `runs_kind_created_at_idx` ON `runs` (`kind`,`created_at`,`id`,`state`,`size_bytes`,`started_at`,`finished_at`);--> statement-breakpoint
CREATE INDEX `runs_trigger_created_at_idx` ON `runs` (`trigger`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `runs_datasource_id_kind_state_finished_at_idx` ON `runs` (`datasource_id`,`kind`,`state`,`finished_at`);--> statement-breakpoint
CREATE INDEX `deliveries_live_destination_id_idx` ON `deliveries` (`destination_id`,`state`,`bytes`) WHERE "deliveries"."deleted_at" IS NULL;