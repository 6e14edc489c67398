-- Hand-written test fixture: the 4.0.0 baseline.
use cloud;
DROP TABLE IF EXISTS `cloud`.`version`;
CREATE TABLE `cloud`.`version` (
  `id` bigint unsigned NOT NULL AUTO_INCREMENT,
  `version` char(40) NOT NULL UNIQUE,
  `updated` datetime NOT NULL,
  `step` char(32) NOT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;
INSERT INTO `cloud`.`version` (`version`, `updated`, `step`) VALUES('4.0.0', now(), 'Complete');
