ALTER TABLE `destinations` ADD `delete_denied_at` integer;--> statement-breakpoint
ALTER TABLE `deliveries` ADD `locked_until` integer;--> statement-breakpoint
ALTER TABLE `deliveries` ADD `retention_note` text;