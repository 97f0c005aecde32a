-- Custom SQL migration file, put your code below! --
-- The catalogue summaries of 0027 (db/schema/pg/catalogue.ts), kept by triggers as the SQLite ones
-- are (drizzle/sqlite/0028_catalogue_summary_triggers.sql says what each keeps and why).
CREATE FUNCTION "catalogue_bump_datasource"(ds text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO "datasource_versions" ("datasource_id", "version") VALUES (ds, 1)
		ON CONFLICT ("datasource_id") DO UPDATE SET "version" = "datasource_versions"."version" + 1;
END $$;--> statement-breakpoint
CREATE FUNCTION "catalogue_bump_day"(created_at bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO "backup_day_versions" ("day", "version") VALUES (created_at / 86400000, 1)
		ON CONFLICT ("day") DO UPDATE SET "version" = "backup_day_versions"."version" + 1;
END $$;--> statement-breakpoint
CREATE FUNCTION "catalogue_summaries_of_delivery"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP <> 'INSERT' THEN
		IF OLD."state" = 'completed' AND OLD."deleted_at" IS NULL THEN
			UPDATE "destination_usage" SET "bytes" = "bytes" - coalesce(OLD."bytes", 0), "backups" = "backups" - 1 WHERE "destination_id" = OLD."destination_id";
		END IF;
		PERFORM "catalogue_bump_datasource"("datasource_id") FROM "runs" WHERE "id" = OLD."run_id";
	END IF;
	IF TG_OP <> 'DELETE' THEN
		IF NEW."state" = 'completed' AND NEW."deleted_at" IS NULL THEN
			INSERT INTO "destination_usage" ("destination_id", "bytes", "backups") VALUES (NEW."destination_id", coalesce(NEW."bytes", 0), 1)
				ON CONFLICT ("destination_id") DO UPDATE SET "bytes" = "destination_usage"."bytes" + excluded."bytes", "backups" = "destination_usage"."backups" + 1;
		END IF;
		IF TG_OP = 'INSERT' OR NEW."run_id" IS DISTINCT FROM OLD."run_id" THEN
			PERFORM "catalogue_bump_datasource"("datasource_id") FROM "runs" WHERE "id" = NEW."run_id";
		END IF;
	END IF;
	RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER "deliveries_catalogue_summaries" AFTER INSERT OR DELETE OR UPDATE OF "id", "run_id", "destination_id", "state", "bytes", "path", "deleted_at", "damaged_at", "locked_until" ON "deliveries"
	FOR EACH ROW EXECUTE FUNCTION "catalogue_summaries_of_delivery"();--> statement-breakpoint
INSERT INTO "destination_usage" ("destination_id", "bytes", "backups")
	SELECT "destination_id", coalesce(sum("bytes"), 0), count(*) FROM "deliveries" WHERE "state" = 'completed' AND "deleted_at" IS NULL GROUP BY "destination_id";--> statement-breakpoint
CREATE FUNCTION "catalogue_versions_of_run"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP <> 'INSERT' THEN
		IF OLD."kind" = 'backup' THEN PERFORM "catalogue_bump_day"(OLD."created_at"); END IF;
		PERFORM "catalogue_bump_datasource"(OLD."datasource_id");
	END IF;
	IF TG_OP <> 'DELETE' THEN
		IF NEW."kind" = 'backup' AND (TG_OP = 'INSERT' OR OLD."kind" <> 'backup' OR NEW."created_at" / 86400000 <> OLD."created_at" / 86400000) THEN
			PERFORM "catalogue_bump_day"(NEW."created_at");
		END IF;
		IF TG_OP = 'UPDATE' AND NEW."datasource_id" <> OLD."datasource_id" THEN PERFORM "catalogue_bump_datasource"(NEW."datasource_id"); END IF;
	END IF;
	RETURN NULL;
END $$;--> statement-breakpoint
-- A run's insert bumps its day only (its datasource's good backups change through its copies).
CREATE TRIGGER "runs_catalogue_versions_insert" AFTER INSERT ON "runs" FOR EACH ROW WHEN (NEW."kind" = 'backup') EXECUTE FUNCTION "catalogue_versions_of_run"();--> statement-breakpoint
CREATE TRIGGER "runs_catalogue_versions" AFTER DELETE OR UPDATE OF "id", "kind", "trigger", "state", "datasource_id", "schedule_id", "size_bytes", "started_at", "finished_at", "created_at", "file_name", "fire_time", "verified", "artifact_meta", "held_at", "hold_reason" ON "runs"
	FOR EACH ROW EXECUTE FUNCTION "catalogue_versions_of_run"();--> statement-breakpoint
CREATE FUNCTION "catalogue_versions_of_destination"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM "catalogue_bump_datasource"("id") FROM "datasources";
	RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER "destinations_catalogue_versions" AFTER DELETE OR UPDATE OF "id", "deleted_at" ON "destinations"
	FOR EACH ROW EXECUTE FUNCTION "catalogue_versions_of_destination"();
