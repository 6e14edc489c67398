-- Hand-written test fixture in the ScriptRunner dialect.
--;
-- Schema upgrade
--;
CREATE TABLE IF NOT EXISTS `cloud`.`gadget` (
  `id` bigint unsigned NOT NULL AUTO_INCREMENT,
  `widget_id` bigint unsigned,
  PRIMARY KEY (`id`)
);
