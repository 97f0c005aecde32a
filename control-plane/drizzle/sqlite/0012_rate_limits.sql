CREATE TABLE `rate_limits` (
	`key` text PRIMARY KEY NOT NULL,
	`tat` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `rate_limits_tat_idx` ON `rate_limits` (`tat`);