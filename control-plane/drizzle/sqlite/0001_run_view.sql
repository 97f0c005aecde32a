ALTER TABLE `runs` ADD `request_hash` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `step` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `progress_bytes` integer;--> statement-breakpoint
ALTER TABLE `runs` ADD `cancel_reason` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `schedule_id` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `artifact_expired_at` integer;--> statement-breakpoint
CREATE INDEX `agent_events_run_id_sequence_idx` ON `agent_events` (`run_id`,`sequence`);