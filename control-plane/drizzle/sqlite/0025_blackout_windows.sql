ALTER TABLE `agents` ADD `blackout` text;--> statement-breakpoint
ALTER TABLE `agents` ADD `timezone` text DEFAULT 'UTC' NOT NULL;--> statement-breakpoint
ALTER TABLE `schedules` ADD `blackout` text;--> statement-breakpoint
ALTER TABLE `schedules` ADD `blackout_misfire` text DEFAULT 'defer' NOT NULL;