CREATE TABLE `schedules` (
	`id` text PRIMARY KEY NOT NULL,
	`datasource_id` text NOT NULL,
	`name` text NOT NULL,
	`cron` text NOT NULL,
	`timezone` text NOT NULL,
	`destination_ids` text NOT NULL,
	`options` text,
	`retention` text,
	`retry` text,
	`verify` integer DEFAULT false NOT NULL,
	`paused` integer DEFAULT false NOT NULL,
	`last_fired_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer,
	FOREIGN KEY (`datasource_id`) REFERENCES `datasources`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `schedules_datasource_id_idx` ON `schedules` (`datasource_id`);--> statement-breakpoint
ALTER TABLE `deliveries` ADD `next_attempt_at` integer;--> statement-breakpoint
ALTER TABLE `deliveries` ADD `started_at` integer;--> statement-breakpoint
ALTER TABLE `deliveries` ADD `duration_ms` integer;--> statement-breakpoint
ALTER TABLE `deliveries` ADD `deleted_at` integer;--> statement-breakpoint
ALTER TABLE `deliveries` ADD `deletion_reason` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `options` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `fire_time` integer;--> statement-breakpoint
ALTER TABLE `runs` ADD `attempt` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `runs` ADD `retry_of` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `artifact_meta` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `verified` integer;--> statement-breakpoint
ALTER TABLE `runs` ADD `verification` text;--> statement-breakpoint
CREATE INDEX `runs_created_at_idx` ON `runs` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `runs_schedule_id_idx` ON `runs` (`schedule_id`,`fire_time`);