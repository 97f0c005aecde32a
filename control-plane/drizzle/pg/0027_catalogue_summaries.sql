CREATE TABLE "backup_day_versions" (
	"day" bigint NOT NULL,
	"version" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "backup_day_versions_day_pk" PRIMARY KEY("day")
);
--> statement-breakpoint
CREATE TABLE "datasource_versions" (
	"datasource_id" text PRIMARY KEY NOT NULL,
	"version" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "destination_usage" (
	"destination_id" text PRIMARY KEY NOT NULL,
	"bytes" bigint DEFAULT 0 NOT NULL,
	"backups" bigint DEFAULT 0 NOT NULL
);
