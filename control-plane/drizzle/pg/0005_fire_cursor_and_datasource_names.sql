-- fire_cursor takes over what last_fired_at held, the firing loop's cursor, unchanged: the next
-- firing after the upgrade is the one the previous version would have made, none lost, none twice.
ALTER TABLE "schedules" ADD COLUMN "fire_cursor" bigint;--> statement-breakpoint
UPDATE "schedules" SET "fire_cursor" = "last_fired_at";--> statement-breakpoint
ALTER TABLE "schedules" ALTER COLUMN "fire_cursor" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "schedules" ALTER COLUMN "last_fired_at" DROP NOT NULL;--> statement-breakpoint
-- last_fired_at becomes the fire time of the last firing recorded to run: the newest first attempt
-- of the schedule's runs, leaving out firings recorded missed at once (the control plane was down),
-- which are the runs written missed with finished_at = created_at. Null when it never fired.
UPDATE "schedules" SET "last_fired_at" = (
	SELECT max(r."fire_time") FROM "runs" r
	WHERE r."schedule_id" = "schedules"."id" AND r."trigger" = 'schedule' AND r."attempt" = 1
		AND NOT (r."state" = 'missed' AND r."finished_at" = r."created_at")
);--> statement-breakpoint
-- One name per agent: the earliest datasource keeps a repeated name, later ones become "name (2)",
-- "name (3)"... in order of creation; where that name is taken too, "name (<datasource id>)".
-- The renames are computed before any is made, so no rename sees another.
CREATE TEMPORARY TABLE "datasource_renames" AS
SELECT d."id", CASE
		WHEN EXISTS (SELECT 1 FROM "datasources" o WHERE o."agent_id" = d."agent_id" AND o."name" = d."name" || ' (' || d."k" || ')')
		THEN d."name" || ' (' || d."id" || ')'
		ELSE d."name" || ' (' || d."k" || ')'
	END AS "new_name"
FROM (
	SELECT "id", "agent_id", "name", row_number() OVER (PARTITION BY "agent_id", "name" ORDER BY "created_at", "id") AS "k"
	FROM "datasources"
) d
WHERE d."k" > 1;--> statement-breakpoint
UPDATE "datasources" SET "name" = (SELECT n."new_name" FROM "datasource_renames" n WHERE n."id" = "datasources"."id")
WHERE "id" IN (SELECT "id" FROM "datasource_renames");--> statement-breakpoint
DROP TABLE "datasource_renames";--> statement-breakpoint
CREATE UNIQUE INDEX "datasources_agent_id_name_unique" ON "datasources" USING btree ("agent_id","name");