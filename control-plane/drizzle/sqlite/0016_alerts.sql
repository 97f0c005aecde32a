ALTER TABLE `notification_conditions` ADD `severity` text DEFAULT 'warning' NOT NULL;--> statement-breakpoint
ALTER TABLE `notification_conditions` ADD `subject` text DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE `notification_conditions` ADD `title` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `notification_conditions` ADD `closed_at` integer;