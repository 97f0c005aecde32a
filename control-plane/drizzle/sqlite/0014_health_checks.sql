CREATE TABLE `health_checks` (
	`id` text PRIMARY KEY NOT NULL,
	`subject_id` text NOT NULL,
	`checked_at` integer NOT NULL,
	`result` text NOT NULL,
	`latency_ms` real,
	`server_version` text,
	`size_bytes` integer,
	`free_bytes` integer,
	`error_code` text,
	`error_message` text
);
--> statement-breakpoint
CREATE INDEX `health_checks_subject_idx` ON `health_checks` (`subject_id`,`checked_at`);--> statement-breakpoint
CREATE INDEX `health_checks_checked_at_idx` ON `health_checks` (`checked_at`);--> statement-breakpoint
ALTER TABLE `datasources` ADD `health_interval_minutes` integer;