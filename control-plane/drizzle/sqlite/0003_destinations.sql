ALTER TABLE `destinations` ADD `secrets` text;--> statement-breakpoint
ALTER TABLE `destinations` ADD `is_default` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `destinations` ADD `max_size_gb` real;--> statement-breakpoint
ALTER TABLE `destinations` ADD `deleted_at` integer;