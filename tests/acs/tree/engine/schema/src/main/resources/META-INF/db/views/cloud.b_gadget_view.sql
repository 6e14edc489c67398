-- Hand-written test fixture.
DROP VIEW IF EXISTS `cloud`.`b_gadget_view`;
CREATE VIEW `cloud`.`b_gadget_view` AS
    SELECT `widget_id`, COUNT(*) AS `gadgets` FROM `cloud`.`gadget` GROUP BY `widget_id`;
