ALTER TABLE `runs` ADD `held_at` integer;--> statement-breakpoint
ALTER TABLE `runs` ADD `held_by` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `hold_reason` text;