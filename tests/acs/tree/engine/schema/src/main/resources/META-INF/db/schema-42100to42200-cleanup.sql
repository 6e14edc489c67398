-- Hand-written test fixture in the ScriptRunner dialect.
--;
-- Schema upgrade
--;
UPDATE `cloud`.`sprocket` SET `size` = 0 WHERE `size` IS NULL;
