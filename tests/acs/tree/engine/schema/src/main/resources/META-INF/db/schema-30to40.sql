-- Hand-written test fixture in the ScriptRunner dialect.
--;
-- Schema upgrade
--;
UPDATE `cloud`.`widget` SET `name` = NULL;
DELETE FROM `cloud`.`widget`
