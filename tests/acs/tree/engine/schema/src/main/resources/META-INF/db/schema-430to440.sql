-- Hand-written test fixture in the ScriptRunner dialect.
--;
-- Schema upgrade
--;
ALTER TABLE `cloud`.`gadget` ADD COLUMN `color` varchar(32) DEFAULT NULL;
