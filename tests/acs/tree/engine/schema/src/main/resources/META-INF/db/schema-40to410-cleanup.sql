-- Hand-written test fixture in the ScriptRunner dialect.
--;
-- Schema upgrade
--;
ALTER TABLE `cloud`.`widget` DROP COLUMN `legacy`;
