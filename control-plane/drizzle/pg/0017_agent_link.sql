ALTER TABLE "agents" ADD COLUMN "protocol_version" integer;--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "link_security" text;--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "status_reason" text;