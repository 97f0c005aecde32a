CREATE TABLE `sso_settings` (
	`id` text PRIMARY KEY NOT NULL,
	`enabled` integer DEFAULT false NOT NULL,
	`display_name` text NOT NULL,
	`issuer_url` text NOT NULL,
	`client_id` text NOT NULL,
	`client_secret_sealed` text,
	`role_rules` text NOT NULL,
	`password_sign_in` text DEFAULT 'everyone' NOT NULL,
	`break_glass_email` text,
	`updated_at` integer NOT NULL
);
