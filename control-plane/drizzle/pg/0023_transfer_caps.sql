ALTER TABLE "agents" ADD COLUMN "transfer_cap_mibps" double precision;--> statement-breakpoint
ALTER TABLE "destinations" ADD COLUMN "transfer_cap_mibps" double precision;