-- Hand-written test fixture in the ScriptRunner dialect.
--;
-- Schema upgrade
--;
UPDATE `cloud`.`widget` SET `owner` = 1 WHERE `owner` IS NULL;
