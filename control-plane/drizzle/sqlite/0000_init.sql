CREATE TABLE `agent_events` (
	`agent_id` text NOT NULL,
	`sequence` integer NOT NULL,
	`event_id` text NOT NULL,
	`run_id` text,
	`type` text NOT NULL,
	`data` text NOT NULL,
	`occurred_at` integer NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `agent_events_event_id_unique` ON `agent_events` (`event_id`);--> statement-breakpoint
CREATE INDEX `agent_events_agent_id_sequence_idx` ON `agent_events` (`agent_id`,`sequence`);--> statement-breakpoint
CREATE TABLE `agent_jti` (
	`agent_id` text NOT NULL,
	`jti` text NOT NULL,
	`expires_at` integer NOT NULL,
	FOREIGN KEY (`agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `agent_jti_agent_id_jti_unique` ON `agent_jti` (`agent_id`,`jti`);--> statement-breakpoint
CREATE INDEX `agent_jti_expires_at_idx` ON `agent_jti` (`expires_at`);--> statement-breakpoint
CREATE TABLE `agents` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`hostname` text NOT NULL,
	`key_id` text NOT NULL,
	`public_key_jwk` text NOT NULL,
	`status` text NOT NULL,
	`version` text,
	`last_seen_at` integer,
	`last_acked_sequence` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `agents_key_id_unique` ON `agents` (`key_id`);--> statement-breakpoint
CREATE TABLE `api_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`token_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_tokens_token_hash_unique` ON `api_tokens` (`token_hash`);--> statement-breakpoint
CREATE TABLE `datasources` (
	`id` text PRIMARY KEY NOT NULL,
	`agent_id` text NOT NULL,
	`name` text NOT NULL,
	`engine` text NOT NULL,
	`connection_redacted` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`run_id` text NOT NULL,
	`destination_id` text NOT NULL,
	`state` text NOT NULL,
	`path` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`bytes` integer,
	`error` text,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`destination_id`) REFERENCES `destinations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `deliveries_run_id_idx` ON `deliveries` (`run_id`);--> statement-breakpoint
CREATE INDEX `deliveries_state_idx` ON `deliveries` (`state`);--> statement-breakpoint
CREATE TABLE `destinations` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`type` text NOT NULL,
	`config` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `enrollment_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`token_hash` text NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer,
	`used_by_agent_id` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `enrollment_tokens_token_hash_unique` ON `enrollment_tokens` (`token_hash`);--> statement-breakpoint
CREATE TABLE `runs` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`trigger` text NOT NULL,
	`agent_id` text NOT NULL,
	`datasource_id` text NOT NULL,
	`state` text NOT NULL,
	`requested_by` text,
	`idempotency_key` text NOT NULL,
	`queued_at` integer,
	`started_at` integer,
	`finished_at` integer,
	`size_bytes` integer,
	`raw_size_bytes` integer,
	`sha256` text,
	`file_name` text,
	`error` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `runs_datasource_id_idempotency_key_unique` ON `runs` (`datasource_id`,`idempotency_key`);--> statement-breakpoint
CREATE INDEX `runs_state_idx` ON `runs` (`state`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` text PRIMARY KEY NOT NULL,
	`email` text NOT NULL,
	`password_hash` text NOT NULL,
	`role` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_email_unique` ON `users` (`email`);