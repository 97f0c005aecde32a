ALTER TABLE `deliveries` ADD `scrubbed_at` integer;--> statement-breakpoint
ALTER TABLE `deliveries` ADD `hashed_at` integer;