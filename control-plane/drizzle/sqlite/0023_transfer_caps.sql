ALTER TABLE `agents` ADD `transfer_cap_mibps` real;--> statement-breakpoint
ALTER TABLE `destinations` ADD `transfer_cap_mibps` real;