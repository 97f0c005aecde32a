-- Custom SQL migration file, put your code below! --
-- The catalogue summaries of 0027 (db/schema/sqlite/catalogue.ts), kept by triggers in the statement
-- that makes each change, as the live_events ones are (0008): no writer can forget them. A later
-- migration that rebuilds runs, deliveries or destinations drops their triggers and must create them
-- again (stats/catalogue-summaries.test.ts fails until it does).
--
-- destination_usage: the live completed copies per destination, added and taken away as a copy
-- enters or leaves that set (completed and not deleted).
CREATE TRIGGER `deliveries_usage_insert` AFTER INSERT ON `deliveries` WHEN NEW.`state` = 'completed' AND NEW.`deleted_at` IS NULL BEGIN
	INSERT INTO `destination_usage` (`destination_id`, `bytes`, `backups`) VALUES (NEW.`destination_id`, coalesce(NEW.`bytes`, 0), 1)
		ON CONFLICT (`destination_id`) DO UPDATE SET `bytes` = `bytes` + excluded.`bytes`, `backups` = `backups` + 1;
END;--> statement-breakpoint
CREATE TRIGGER `deliveries_usage_delete` AFTER DELETE ON `deliveries` WHEN OLD.`state` = 'completed' AND OLD.`deleted_at` IS NULL BEGIN
	UPDATE `destination_usage` SET `bytes` = `bytes` - coalesce(OLD.`bytes`, 0), `backups` = `backups` - 1 WHERE `destination_id` = OLD.`destination_id`;
END;--> statement-breakpoint
CREATE TRIGGER `deliveries_usage_update` AFTER UPDATE OF `state`, `deleted_at`, `bytes`, `destination_id` ON `deliveries` BEGIN
	UPDATE `destination_usage` SET `bytes` = `bytes` - coalesce(OLD.`bytes`, 0), `backups` = `backups` - 1
		WHERE `destination_id` = OLD.`destination_id` AND OLD.`state` = 'completed' AND OLD.`deleted_at` IS NULL;
	INSERT INTO `destination_usage` (`destination_id`, `bytes`, `backups`) SELECT NEW.`destination_id`, coalesce(NEW.`bytes`, 0), 1
		WHERE NEW.`state` = 'completed' AND NEW.`deleted_at` IS NULL
		ON CONFLICT (`destination_id`) DO UPDATE SET `bytes` = `bytes` + excluded.`bytes`, `backups` = `backups` + 1;
END;--> statement-breakpoint
INSERT INTO `destination_usage` (`destination_id`, `bytes`, `backups`)
	SELECT `destination_id`, coalesce(sum(`bytes`), 0), count(*) FROM `deliveries` WHERE `state` = 'completed' AND `deleted_at` IS NULL GROUP BY `destination_id`;--> statement-breakpoint
-- datasource_versions: bumped by every write to a column that decides whether a datasource's
-- backup is good (artifacts/good-backup.ts) or that retention reads of its delivered backups
-- (retention/collect-backups.ts): the run's, its copies', and a destination's retirement (every
-- datasource). A run's insert is not one: a backup takes part in either only through a copy, whose insert is.
CREATE TRIGGER `runs_datasource_version_update` AFTER UPDATE OF `id`, `kind`, `trigger`, `state`, `datasource_id`, `schedule_id`, `finished_at`, `created_at`, `file_name`, `fire_time`, `verified`, `artifact_meta`, `held_at`, `hold_reason` ON `runs` BEGIN
	INSERT INTO `datasource_versions` (`datasource_id`, `version`) VALUES (OLD.`datasource_id`, 1)
		ON CONFLICT (`datasource_id`) DO UPDATE SET `version` = `version` + 1;
	INSERT INTO `datasource_versions` (`datasource_id`, `version`) SELECT NEW.`datasource_id`, 1 WHERE NEW.`datasource_id` IS NOT OLD.`datasource_id`
		ON CONFLICT (`datasource_id`) DO UPDATE SET `version` = `version` + 1;
END;--> statement-breakpoint
CREATE TRIGGER `runs_datasource_version_delete` AFTER DELETE ON `runs` BEGIN
	INSERT INTO `datasource_versions` (`datasource_id`, `version`) VALUES (OLD.`datasource_id`, 1)
		ON CONFLICT (`datasource_id`) DO UPDATE SET `version` = `version` + 1;
END;--> statement-breakpoint
CREATE TRIGGER `deliveries_datasource_version_insert` AFTER INSERT ON `deliveries` BEGIN
	INSERT INTO `datasource_versions` (`datasource_id`, `version`) SELECT `datasource_id`, 1 FROM `runs` WHERE `id` = NEW.`run_id`
		ON CONFLICT (`datasource_id`) DO UPDATE SET `version` = `version` + 1;
END;--> statement-breakpoint
CREATE TRIGGER `deliveries_datasource_version_delete` AFTER DELETE ON `deliveries` BEGIN
	INSERT INTO `datasource_versions` (`datasource_id`, `version`) SELECT `datasource_id`, 1 FROM `runs` WHERE `id` = OLD.`run_id`
		ON CONFLICT (`datasource_id`) DO UPDATE SET `version` = `version` + 1;
END;--> statement-breakpoint
CREATE TRIGGER `deliveries_datasource_version_update` AFTER UPDATE OF `id`, `run_id`, `destination_id`, `state`, `path`, `deleted_at`, `damaged_at`, `locked_until` ON `deliveries` BEGIN
	INSERT INTO `datasource_versions` (`datasource_id`, `version`) SELECT `datasource_id`, 1 FROM `runs` WHERE `id` IN (OLD.`run_id`, NEW.`run_id`)
		ON CONFLICT (`datasource_id`) DO UPDATE SET `version` = `version` + 1;
END;--> statement-breakpoint
CREATE TRIGGER `destinations_datasource_version_update` AFTER UPDATE OF `id`, `deleted_at` ON `destinations` BEGIN
	INSERT INTO `datasource_versions` (`datasource_id`, `version`) SELECT `id`, 1 FROM `datasources` WHERE true
		ON CONFLICT (`datasource_id`) DO UPDATE SET `version` = `version` + 1;
END;--> statement-breakpoint
CREATE TRIGGER `destinations_datasource_version_delete` AFTER DELETE ON `destinations` BEGIN
	INSERT INTO `datasource_versions` (`datasource_id`, `version`) SELECT `id`, 1 FROM `datasources` WHERE true
		ON CONFLICT (`datasource_id`) DO UPDATE SET `version` = `version` + 1;
END;--> statement-breakpoint
-- backup_day_versions: bumped by every write to a backup run's columns that stats count per day
-- (stats/day-groups.ts), for the day it was created on, before and after.
CREATE TRIGGER `runs_day_version_insert` AFTER INSERT ON `runs` WHEN NEW.`kind` = 'backup' BEGIN
	INSERT INTO `backup_day_versions` (`day`, `version`) VALUES (NEW.`created_at` / 86400000, 1)
		ON CONFLICT (`day`) DO UPDATE SET `version` = `version` + 1;
END;--> statement-breakpoint
CREATE TRIGGER `runs_day_version_delete` AFTER DELETE ON `runs` WHEN OLD.`kind` = 'backup' BEGIN
	INSERT INTO `backup_day_versions` (`day`, `version`) VALUES (OLD.`created_at` / 86400000, 1)
		ON CONFLICT (`day`) DO UPDATE SET `version` = `version` + 1;
END;--> statement-breakpoint
CREATE TRIGGER `runs_day_version_update` AFTER UPDATE OF `kind`, `state`, `size_bytes`, `started_at`, `finished_at`, `created_at` ON `runs`
	WHEN OLD.`kind` = 'backup' OR NEW.`kind` = 'backup' BEGIN
	INSERT INTO `backup_day_versions` (`day`, `version`) VALUES (OLD.`created_at` / 86400000, 1)
		ON CONFLICT (`day`) DO UPDATE SET `version` = `version` + 1;
	INSERT INTO `backup_day_versions` (`day`, `version`) SELECT NEW.`created_at` / 86400000, 1 WHERE NEW.`created_at` / 86400000 <> OLD.`created_at` / 86400000
		ON CONFLICT (`day`) DO UPDATE SET `version` = `version` + 1;
END;
