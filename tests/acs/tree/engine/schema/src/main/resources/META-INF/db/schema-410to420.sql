-- Hand-written test fixture in the ScriptRunner dialect.
--;
-- Schema upgrade
--;
ALTER TABLE `cloud`.`widget` ADD COLUMN `owner` bigint unsigned DEFAULT NULL;
