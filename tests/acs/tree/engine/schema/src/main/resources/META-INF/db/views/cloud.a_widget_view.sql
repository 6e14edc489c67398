-- Hand-written test fixture: depends on b_gadget_view, so name order is wrong.
DROP VIEW IF EXISTS `cloud`.`a_widget_view`;
CREATE VIEW `cloud`.`a_widget_view` AS
    SELECT `w`.`id`, `g`.`gadgets` FROM `cloud`.`widget` `w`
    LEFT JOIN `cloud`.`b_gadget_view` `g` ON `g`.`widget_id` = `w`.`id`;
