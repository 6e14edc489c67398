-- Hand-written test fixture in the ScriptRunner dialect.
--;
-- Schema upgrade
--;
ALTER TABLE `cloud`.`widget` ADD COLUMN `fixed` tinyint DEFAULT 0;
