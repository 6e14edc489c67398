-- Hand-written test fixture in the ScriptRunner dialect.
--;
-- Schema upgrade
--;
CALL `cloud`.`IDEMPOTENT_ADD_COLUMN`('cloud.sprocket', 'size', 'int DEFAULT NULL');
