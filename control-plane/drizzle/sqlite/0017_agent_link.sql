ALTER TABLE `agents` ADD `protocol_version` integer;--> statement-breakpoint
ALTER TABLE `agents` ADD `link_security` text;--> statement-breakpoint
ALTER TABLE `agents` ADD `status_reason` text;