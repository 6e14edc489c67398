-- Hand-written test fixture in the ScriptRunner dialect.
--;
-- Schema upgrade
--;
CREATE TABLE `cloud`.`sprocket` (`id` bigint unsigned NOT NULL, PRIMARY KEY (`id`));
