CREATE TABLE `audit_log` (
	`id` text PRIMARY KEY NOT NULL,
	`at` integer NOT NULL,
	`actor_user_id` text,
	`actor_email` text,
	`credential` text,
	`action` text NOT NULL,
	`target` text NOT NULL,
	`fields` text NOT NULL,
	`status` integer NOT NULL,
	`error_code` text,
	`client_address` text NOT NULL,
	`request_id` text
);
--> statement-breakpoint
CREATE INDEX `audit_log_at_idx` ON `audit_log` (`at`,`id`);--> statement-breakpoint
ALTER TABLE `api_tokens` ADD `name` text DEFAULT 'API token' NOT NULL;--> statement-breakpoint
ALTER TABLE `api_tokens` ADD `role` text;--> statement-breakpoint
ALTER TABLE `api_tokens` ADD `token_prefix` text;--> statement-breakpoint
ALTER TABLE `api_tokens` ADD `revoked_at` integer;--> statement-breakpoint
ALTER TABLE `enrollment_tokens` ADD `name` text;--> statement-breakpoint
ALTER TABLE `enrollment_tokens` ADD `created_by` text;--> statement-breakpoint
ALTER TABLE `enrollment_tokens` ADD `revoked_at` integer;--> statement-breakpoint
ALTER TABLE `users` ADD `disabled_at` integer;