-- Hand-written test fixture in the ScriptRunner dialect.
--;
-- Schema upgrade
--;
DROP PROCEDURE IF EXISTS `cloud`.`WIDGET_TOUCH`;
CREATE PROCEDURE `cloud`.`WIDGET_TOUCH` (IN in_id BIGINT)
BEGIN
    DECLARE n INT DEFAULT 0
    ; SELECT COUNT(*) INTO n FROM `cloud`.`widget` WHERE `id` = in_id
    ; UPDATE `cloud`.`widget` SET `fixed` = n WHERE `id` = in_id; END;
CALL `cloud`.`IDEMPOTENT_ADD_COLUMN`('cloud.widget', 'note', 'varchar(64) DEFAULT NULL COMMENT ''free text''');
