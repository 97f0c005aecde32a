ALTER TABLE `deliveries` ADD `damaged_at` integer;--> statement-breakpoint
ALTER TABLE `deliveries` ADD `damage` text;