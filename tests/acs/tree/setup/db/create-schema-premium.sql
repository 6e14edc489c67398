-- Hand-written test fixture: the usage database.
USE `cloud_usage`;
CREATE TABLE `cloud_usage`.`account` (`id` bigint unsigned NOT NULL, `type` int, PRIMARY KEY (`id`));
USE `cloud`;
