CREATE TABLE `live_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`type` text NOT NULL,
	`occurred_at` integer NOT NULL,
	`data` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `live_events_occurred_at_idx` ON `live_events` (`occurred_at`);--> statement-breakpoint
-- The live event feed (control-plane/src/events/README.md): every change of a run's state, a
-- delivery's state and an agent's status writes its event in the statement that makes the change,
-- so no writer can forget one and no crash can keep one without the other. `data` is the event
-- without `id` and `at`, which come from the row. A later migration that rebuilds runs, deliveries
-- or agents (SQLite's way of changing a column) drops their triggers: it must create them again
-- (events/triggers.test.ts fails until it does).
CREATE TRIGGER `runs_live_event_insert` AFTER INSERT ON `runs` BEGIN
	INSERT INTO `live_events` (`type`, `occurred_at`, `data`) VALUES ('run.state', CAST(unixepoch('subsec') * 1000 AS INTEGER), json_object(
		'runId', NEW.`id`, 'agentId', NEW.`agent_id`, 'datasourceId', NEW.`datasource_id`, 'scheduleId', NEW.`schedule_id`,
		'kind', NEW.`kind`, 'trigger', NEW.`trigger`, 'state', NEW.`state`,
		'errorCode', CASE WHEN json_valid(NEW.`error`) THEN json_extract(NEW.`error`, '$.code') END));
END;--> statement-breakpoint
CREATE TRIGGER `runs_live_event_update` AFTER UPDATE OF `state` ON `runs` WHEN NEW.`state` IS NOT OLD.`state` BEGIN
	INSERT INTO `live_events` (`type`, `occurred_at`, `data`) VALUES ('run.state', CAST(unixepoch('subsec') * 1000 AS INTEGER), json_object(
		'runId', NEW.`id`, 'agentId', NEW.`agent_id`, 'datasourceId', NEW.`datasource_id`, 'scheduleId', NEW.`schedule_id`,
		'kind', NEW.`kind`, 'trigger', NEW.`trigger`, 'state', NEW.`state`,
		'errorCode', CASE WHEN json_valid(NEW.`error`) THEN json_extract(NEW.`error`, '$.code') END));
END;--> statement-breakpoint
CREATE TRIGGER `deliveries_live_event_insert` AFTER INSERT ON `deliveries` BEGIN
	INSERT INTO `live_events` (`type`, `occurred_at`, `data`) VALUES ('delivery.state', CAST(unixepoch('subsec') * 1000 AS INTEGER), json_object(
		'deliveryId', NEW.`id`, 'runId', NEW.`run_id`, 'destinationId', NEW.`destination_id`, 'state', NEW.`state`,
		'attempts', NEW.`attempts`, 'nextAttemptAt', NEW.`next_attempt_at`,
		'errorCode', CASE WHEN json_valid(NEW.`error`) THEN json_extract(NEW.`error`, '$.code') END));
END;--> statement-breakpoint
CREATE TRIGGER `deliveries_live_event_update` AFTER UPDATE OF `state` ON `deliveries` WHEN NEW.`state` IS NOT OLD.`state` BEGIN
	INSERT INTO `live_events` (`type`, `occurred_at`, `data`) VALUES ('delivery.state', CAST(unixepoch('subsec') * 1000 AS INTEGER), json_object(
		'deliveryId', NEW.`id`, 'runId', NEW.`run_id`, 'destinationId', NEW.`destination_id`, 'state', NEW.`state`,
		'attempts', NEW.`attempts`, 'nextAttemptAt', NEW.`next_attempt_at`,
		'errorCode', CASE WHEN json_valid(NEW.`error`) THEN json_extract(NEW.`error`, '$.code') END));
END;--> statement-breakpoint
CREATE TRIGGER `agents_live_event_insert` AFTER INSERT ON `agents` BEGIN
	INSERT INTO `live_events` (`type`, `occurred_at`, `data`) VALUES ('agent.status', CAST(unixepoch('subsec') * 1000 AS INTEGER),
		json_object('agentId', NEW.`id`, 'name', NEW.`name`, 'status', NEW.`status`));
END;--> statement-breakpoint
CREATE TRIGGER `agents_live_event_update` AFTER UPDATE OF `status` ON `agents` WHEN NEW.`status` IS NOT OLD.`status` BEGIN
	INSERT INTO `live_events` (`type`, `occurred_at`, `data`) VALUES ('agent.status', CAST(unixepoch('subsec') * 1000 AS INTEGER),
		json_object('agentId', NEW.`id`, 'name', NEW.`name`, 'status', NEW.`status`));
END;
