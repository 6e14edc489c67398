-- Hand-written test fixture in the ScriptRunner dialect.
--;
-- Schema upgrade
--;
DELETE FROM `cloud`.`gadget` WHERE `widget_id` IS NULL;
