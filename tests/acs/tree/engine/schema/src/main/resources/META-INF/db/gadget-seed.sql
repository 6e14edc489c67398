-- Hand-written test fixture in the ScriptRunner dialect.
--;
-- Schema upgrade
--;
INSERT INTO `cloud`.`gadget` (`widget_id`) SELECT `id` FROM `cloud`.`widget` ON DUPLICATE KEY UPDATE `widget_id` = VALUES(`widget_id`);
