-- Hand-written test fixture in the ScriptRunner dialect.
--;
-- Schema upgrade
--;
CREATE TABLE `cloud`.`widget` (
  `id` bigint unsigned NOT NULL AUTO_INCREMENT,
  `name` varchar(255) DEFAULT NULL, -- a trailing comment ScriptRunner cuts
  `legacy` int DEFAULT 0,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;
# hash comment line
INSERT INTO `cloud`.`widget` (`name`) VALUES ('semi;colon'), ('dash--dash');
