"""A labelled set of statements (shapes seen in real projects' migrations) with expected phase and lock.

Each row: dialect | expected phase | expected lock ('-' for none) | SQL. MySQL rows assume the default
current server (MySQL 8.0.29+ / MariaDB 10.6+) unless the dialect says otherwise.
"""

# ruff: noqa: E501  (the labelled statements are a data table, one statement per line)
from __future__ import annotations

import re

import pytest

from flywayx.model.footprint import Phase
from flywayx.model.migration import Statement
from flywayx.sources.analyze import analyze_statement

LABELLED = r"""
mysql|expand|-|CREATE TABLE users (id BIGINT PRIMARY KEY AUTO_INCREMENT, email VARCHAR(255) NOT NULL)
mysql|expand|-|CREATE TABLE IF NOT EXISTS `cloud`.`vm_stats` (`id` bigint unsigned NOT NULL, PRIMARY KEY (`id`)) ENGINE=InnoDB
mysql|expand|-|CREATE TABLE t2 LIKE t1
mariadb|data|-|CREATE TABLE t_backup AS SELECT * FROM t
mysql|expand|-|CREATE TEMPORARY TABLE tmp_ids (id INT)
mysql|expand|INSTANT|ALTER TABLE users ADD COLUMN nickname VARCHAR(64) NULL
mysql|expand|INSTANT|ALTER TABLE users ADD COLUMN active TINYINT(1) NOT NULL DEFAULT 1
mysql|expand|INSTANT|ALTER TABLE users ADD nickname VARCHAR(64)
mysql|expand|INSTANT|ALTER TABLE users ADD COLUMN drop_x INT
mysql|expand|INSTANT|ALTER TABLE `cloud`.`host` ADD COLUMN `arch` varchar(8) DEFAULT 'x86_64' COMMENT 'the CPU architecture'
mysql|expand|INSTANT|ALTER TABLE users ADD COLUMN note TEXT AFTER email
mariadb|expand|INSTANT|ALTER TABLE users ADD COLUMN note TEXT FIRST
mariadb:10.2|expand|INPLACE|ALTER TABLE users ADD COLUMN note TEXT
mysql:5.7.40|expand|INPLACE|ALTER TABLE users ADD COLUMN note TEXT
mysql:8.0.20|expand|INPLACE|ALTER TABLE users ADD COLUMN note TEXT AFTER id
mysql|contract|INSTANT|ALTER TABLE users ADD COLUMN tenant INT NOT NULL
mysql|expand|COPY|ALTER TABLE users ADD COLUMN total INT AS (a + b) STORED
mysql|expand|INPLACE|ALTER TABLE users ADD INDEX i_users_email (email)
mysql|expand|INPLACE|ALTER TABLE users ADD UNIQUE KEY uk_email (email)
mysql|expand|INPLACE|ALTER TABLE `cloud`.`vm_instance` ADD INDEX `i_vm_instance__state`(`state`)
mysql|expand|INPLACE|CREATE INDEX i_a ON t (a)
mysql|expand|INPLACE|CREATE UNIQUE INDEX uk_ab ON t (a, b)
mysql|expand|INPLACE|ALTER TABLE t ADD FULLTEXT INDEX ft_body (body)
mysql|expand|COPY|ALTER TABLE t ADD CONSTRAINT fk_t_u FOREIGN KEY (user_id) REFERENCES users(id)
mysql|expand|COPY|ALTER TABLE `cloud`.`nics` ADD CONSTRAINT `fk_nics__vm_id` FOREIGN KEY `fk_nics__vm_id`(`vm_id`) REFERENCES `vm_instance`(`id`) ON DELETE CASCADE
mysql|expand|INPLACE|ALTER TABLE t ADD PRIMARY KEY (id)
mysql|contract|COPY|ALTER TABLE t DROP PRIMARY KEY
mysql|contract|INPLACE|ALTER TABLE t DROP INDEX i_a
mysql|contract|INPLACE|ALTER TABLE t DROP KEY uk_ab
mysql|contract|INPLACE|ALTER TABLE t DROP FOREIGN KEY fk_t_u
mysql|contract|INPLACE|DROP INDEX i_a ON t
mysql|contract|INSTANT|ALTER TABLE users DROP COLUMN nickname
mariadb|contract|INSTANT|ALTER TABLE users DROP COLUMN nickname
mariadb:10.3.39|contract|INPLACE|ALTER TABLE users DROP COLUMN nickname
mysql:8.0.20|contract|INPLACE|ALTER TABLE users DROP nickname
mysql|contract|INSTANT|ALTER TABLE users DROP COLUMN IF EXISTS nickname
mysql|contract|COPY|ALTER TABLE t MODIFY c INT NOT NULL
mysql|contract|COPY|ALTER TABLE t CHANGE a a VARCHAR(10)
mysql|contract|COPY|ALTER TABLE t MODIFY COLUMN c VARCHAR(255) NULL
mysql|contract|COPY|ALTER TABLE `cloud`.`user` CHANGE COLUMN `api_key` `api_key` VARCHAR(255) DEFAULT NULL
mysql|contract|INSTANT|ALTER TABLE t RENAME COLUMN a TO b
mysql|contract|INSTANT|ALTER TABLE t RENAME TO t_old
mysql|contract|-|RENAME TABLE a TO b, c TO d
mysql|contract|COPY|ALTER TABLE t CHANGE old_name new_name INT
mysql|expand|INSTANT|ALTER TABLE t ALTER COLUMN c SET DEFAULT 0
mysql|contract|INSTANT|ALTER TABLE t ALTER COLUMN c DROP DEFAULT
mysql|contract|COPY|ALTER TABLE t CONVERT TO CHARACTER SET latin1
mysql|expand|COPY|ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci
mysql|expand|COPY|ALTER TABLE t ENGINE=InnoDB
mysql|expand|INSTANT|ALTER TABLE t COMMENT = 'users of the system'
mysql|expand|INSTANT|ALTER TABLE t AUTO_INCREMENT = 1000
mysql|expand|INPLACE|ALTER TABLE t FORCE
mysql|expand|INPLACE|ALTER TABLE t ADD INDEX i_b (b), ALGORITHM=INPLACE, LOCK=NONE
mysql|contract|COPY|ALTER TABLE t DROP COLUMN a, ADD COLUMN b INT, ALGORITHM=COPY
mysql|contract|INSTANT|ALTER TABLE t ADD COLUMN b INT, DROP COLUMN a
mysql|contract|INPLACE|ALTER TABLE t DROP PARTITION p2019
mysql|contract|-|DROP TABLE users
mysql|contract|-|DROP TABLE IF EXISTS `cloud`.`old_stats`
mysql|contract|-|DROP TABLE a, b
mysql|data|-|TRUNCATE TABLE sessions
mysql|contract|-|DROP VIEW IF EXISTS v_users
mysql|contract|-|DROP PROCEDURE IF EXISTS p_cleanup
mysql|contract|-|DROP TRIGGER trg_audit
mysql|contract|-|DROP EVENT IF EXISTS ev_purge
mysql|contract|-|DROP FUNCTION f_total
mysql|expand|-|CREATE VIEW v_users AS SELECT id, email FROM users
mysql|expand|-|CREATE OR REPLACE VIEW `cloud`.`v_host` AS SELECT h.id, c.name FROM host h LEFT JOIN cluster c ON c.id = h.cluster_id
mysql|expand|-|CREATE ALGORITHM=UNDEFINED SQL SECURITY DEFINER VIEW v2 AS SELECT 1
mysql|expand|-|CREATE PROCEDURE p() BEGIN UPDATE t SET a = 1; END
mysql|expand|-|CREATE DEFINER=`root`@`localhost` PROCEDURE p2(IN x INT) BEGIN SELECT x; END
mysql|expand|-|CREATE FUNCTION f(x INT) RETURNS INT DETERMINISTIC RETURN x + 1
mysql|expand|-|CREATE TRIGGER trg BEFORE INSERT ON users FOR EACH ROW SET NEW.created = NOW()
mysql|expand|-|CREATE EVENT ev ON SCHEDULE EVERY 1 DAY DO DELETE FROM sessions WHERE expired = 1
mysql|expand|-|CREATE DATABASE IF NOT EXISTS cloud_usage
mysql|contract|-|DROP DATABASE IF EXISTS billing
mysql|expand|-|INSERT INTO users (email) VALUES ('a@example.com')
mysql|expand|-|INSERT INTO `cloud`.`configuration` VALUES ('Advanced', 'DEFAULT', 'management-server', 'x.y', '1', 'desc')
mysql|expand|-|INSERT IGNORE INTO `cloud`.`guest_os` (id, category_id, display_name) VALUES (300, 6, 'Ubuntu 20.04')
mysql|expand|-|INSERT INTO t (a, b) VALUES (1, (SELECT id FROM u WHERE name = 'x'))
mysql|data|-|INSERT INTO t (a) SELECT id FROM u WHERE flag = 1
mysql|data|-|INSERT IGNORE INTO t2 SELECT * FROM t1
mysql|data|-|INSERT INTO t (k, v) VALUES ('a', 1) ON DUPLICATE KEY UPDATE v = VALUES(v)
mysql|data|-|REPLACE INTO t (k, v) VALUES ('a', 1)
mysql|expand|-|INSERT INTO t SET a = 1, b = 2
mysql|data|-|UPDATE users SET active = 0 WHERE last_login < '2020-01-01'
mysql|data|-|UPDATE `cloud`.`configuration` SET value = 'true' WHERE name = 'x.enabled'
mysql|data|-|UPDATE t1 JOIN t2 ON t1.id = t2.t1_id SET t1.flag = t2.flag
mysql|data|-|UPDATE t1, t2 SET t1.a = t2.a WHERE t1.id = t2.id
mysql|data|-|UPDATE LOW_PRIORITY IGNORE t SET a = a + 1 ORDER BY id LIMIT 10
mysql|data|-|DELETE FROM sessions WHERE expired = 1
mysql|data|-|DELETE FROM `cloud`.`configuration` WHERE name IN ('a', 'b')
mysql|data|-|DELETE t1 FROM t1 LEFT JOIN t2 ON t1.id = t2.id WHERE t2.id IS NULL
mysql|data|-|DELETE FROM t1 USING t1 JOIN t2 ON t1.id = t2.id
mysql|data|-|DELETE FROM t WHERE id IN (SELECT id FROM (SELECT id FROM t WHERE x = 1) AS sub)
mysql|expand|-|SELECT 1
mysql|expand|-|SELECT 'DROP TABLE users'
mysql|expand|-|SELECT COUNT(*) FROM users
mysql|expand|-|SET foreign_key_checks = 0
mysql|expand|-|SET @x = 5
mysql|expand|-|SET NAMES utf8mb4
mysql|expand|-|USE cloud
mysql|expand|-|START TRANSACTION
mysql|expand|-|COMMIT
mysql|expand|-|LOCK TABLES t WRITE
mysql|expand|-|UNLOCK TABLES
mysql|expand|-|/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */
mysql|unknown|-|CALL cloud.IDEMPOTENT_ADD_COLUMN('cloud.host', 'arch', 'VARCHAR(8)')
mysql|data|-|-- flywayx:writes cloud.host.arch\nCALL cloud.IDEMPOTENT_ADD_COLUMN('cloud.host', 'arch', 'VARCHAR(8)')
mysql|contract|-|-- flywayx:phase=contract removes legacy rows\nCALL cleanup_legacy()
mysql|expand|INSTANT|-- flywayx:phase=expand column unused since 4.2\nALTER TABLE t DROP COLUMN legacy
mysql|unknown|-|EXECUTE stmt1
mysql|unknown|-|HANDLER t OPEN
mysql|expand|-|-- DELETE FROM users\nSELECT 1
mysql|expand|-|# DROP TABLE users\nSELECT 1
mysql|expand|-|/* DROP TABLE users; */ SELECT 1
mysql|expand|-|GRANT SELECT ON cloud.* TO 'cloud'@'localhost'
postgresql|expand|-|CREATE TABLE accounts (id bigserial PRIMARY KEY, name text NOT NULL)
postgresql|expand|-|CREATE TABLE IF NOT EXISTS public.audit (id serial, payload jsonb)
postgresql|expand|-|CREATE UNLOGGED TABLE cache (k text, v text)
postgresql|expand|SHARE|CREATE INDEX idx_accounts_name ON accounts (name)
postgresql|expand|SHARE|CREATE UNIQUE INDEX uq_accounts_name ON accounts USING btree (lower(name))
postgresql|expand|SHARE UPDATE EXCLUSIVE|CREATE INDEX CONCURRENTLY idx_a ON accounts (a)
postgresql|expand|SHARE UPDATE EXCLUSIVE|CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_b ON accounts (b)
postgresql|contract|ACCESS EXCLUSIVE|DROP INDEX idx_a
postgresql|contract|SHARE UPDATE EXCLUSIVE|DROP INDEX CONCURRENTLY IF EXISTS idx_a
postgresql|expand|ACCESS EXCLUSIVE|ALTER TABLE accounts ADD COLUMN email text
postgresql|expand|ACCESS EXCLUSIVE|ALTER TABLE accounts ADD COLUMN active boolean NOT NULL DEFAULT true
postgresql|expand|ACCESS EXCLUSIVE|ALTER TABLE accounts ADD COLUMN token uuid DEFAULT gen_random_uuid()
postgresql|expand|ACCESS EXCLUSIVE|ALTER TABLE accounts ADD COLUMN IF NOT EXISTS created timestamptz DEFAULT now()
postgresql|contract|ACCESS EXCLUSIVE|ALTER TABLE accounts ADD COLUMN tenant_id int NOT NULL
postgresql|contract|ACCESS EXCLUSIVE|ALTER TABLE accounts DROP COLUMN email
postgresql|contract|ACCESS EXCLUSIVE|ALTER TABLE accounts DROP COLUMN IF EXISTS email CASCADE
postgresql|contract|ACCESS EXCLUSIVE|ALTER TABLE accounts ALTER COLUMN name SET NOT NULL
postgresql|expand|ACCESS EXCLUSIVE|ALTER TABLE accounts ALTER COLUMN name DROP NOT NULL
postgresql|expand|ACCESS EXCLUSIVE|ALTER TABLE accounts ALTER COLUMN name SET DEFAULT 'x'
postgresql|contract|ACCESS EXCLUSIVE|ALTER TABLE accounts ALTER COLUMN name DROP DEFAULT
postgresql|contract|ACCESS EXCLUSIVE|ALTER TABLE accounts ALTER COLUMN id TYPE bigint
postgresql|contract|ACCESS EXCLUSIVE|ALTER TABLE accounts ALTER COLUMN name SET DATA TYPE varchar(20) USING substr(name, 1, 20)
postgresql|contract|ACCESS EXCLUSIVE|ALTER TABLE accounts RENAME COLUMN name TO full_name
postgresql|contract|ACCESS EXCLUSIVE|ALTER TABLE accounts RENAME TO customers
postgresql|expand|SHARE ROW EXCLUSIVE|ALTER TABLE orders ADD CONSTRAINT fk_orders_accounts FOREIGN KEY (account_id) REFERENCES accounts (id)
postgresql|expand|SHARE ROW EXCLUSIVE|ALTER TABLE orders ADD CONSTRAINT fk_o_a FOREIGN KEY (account_id) REFERENCES accounts (id) NOT VALID
postgresql|expand|SHARE UPDATE EXCLUSIVE|ALTER TABLE orders VALIDATE CONSTRAINT fk_o_a
postgresql|expand|ACCESS EXCLUSIVE|ALTER TABLE orders ADD CONSTRAINT ck_qty CHECK (qty > 0)
postgresql|expand|ACCESS EXCLUSIVE|ALTER TABLE orders ADD CONSTRAINT uq_ref UNIQUE (ref)
postgresql|expand|ACCESS EXCLUSIVE|ALTER TABLE orders ADD PRIMARY KEY (id)
postgresql|contract|ACCESS EXCLUSIVE|ALTER TABLE orders DROP CONSTRAINT fk_o_a
postgresql|contract|ACCESS EXCLUSIVE|DROP TABLE orders
postgresql|contract|ACCESS EXCLUSIVE|DROP TABLE IF EXISTS orders CASCADE
postgresql|data|ACCESS EXCLUSIVE|TRUNCATE orders
postgresql|expand|-|CREATE VIEW v_active AS SELECT * FROM accounts WHERE active
postgresql|expand|-|CREATE OR REPLACE FUNCTION f() RETURNS trigger AS $$ BEGIN DELETE FROM x; RETURN NEW; END $$ LANGUAGE plpgsql
postgresql|expand|-|CREATE SEQUENCE order_seq
postgresql|expand|-|CREATE SCHEMA IF NOT EXISTS app
postgresql|expand|-|CREATE EXTENSION IF NOT EXISTS pgcrypto
postgresql|expand|-|CREATE TYPE mood AS ENUM ('sad', 'ok')
postgresql|expand|-|ALTER TYPE mood ADD VALUE 'happy'
postgresql|expand|-|COMMENT ON TABLE accounts IS 'customer accounts; DROP TABLE is not run'
postgresql|contract|-|DROP VIEW v_active
postgresql|contract|-|DROP SCHEMA app CASCADE
postgresql|expand|-|INSERT INTO accounts (name) VALUES ('x') ON CONFLICT DO NOTHING
postgresql|data|-|INSERT INTO accounts (id, name) VALUES (1, 'x') ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name
postgresql|data|-|UPDATE orders o SET total = s.sum FROM (SELECT order_id, sum(x) AS sum FROM lines GROUP BY order_id) s WHERE s.order_id = o.id
postgresql|data|-|DELETE FROM orders USING accounts WHERE orders.account_id = accounts.id AND accounts.closed
postgresql|data|-|WITH old AS (SELECT id FROM orders WHERE created < now() - interval '1 year') DELETE FROM orders WHERE id IN (SELECT id FROM old)
postgresql|expand|-|SET lock_timeout = '1s'
postgresql|unknown|-|DO $$ BEGIN PERFORM 1; END $$
postgresql|unknown|-|COPY accounts FROM '/tmp/a.csv'
sqlite|expand|-|CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)
sqlite|expand|-|CREATE INDEX IF NOT EXISTS idx_notes_body ON notes (body)
sqlite|expand|-|ALTER TABLE notes ADD COLUMN tags TEXT
sqlite|contract|-|ALTER TABLE notes DROP COLUMN tags
sqlite|contract|-|ALTER TABLE notes RENAME COLUMN body TO text
sqlite|contract|-|ALTER TABLE notes RENAME TO memo
sqlite|contract|-|DROP TABLE IF EXISTS memo
sqlite|expand|-|INSERT OR IGNORE INTO notes (id, body) VALUES (1, 'x')
sqlite|data|-|INSERT OR REPLACE INTO notes (id, body) VALUES (1, 'y')
sqlite|data|-|UPDATE notes SET body = trim(body)
sqlite|expand|-|PRAGMA foreign_keys = ON
sqlite|expand|-|CREATE TRIGGER trg AFTER UPDATE ON notes BEGIN UPDATE notes SET n = n + 1; END
sqlite|contract|-|DROP TRIGGER IF EXISTS trg
"""


def _rows() -> list[tuple[str, str | None, Phase, str | None, str]]:
    out = []
    for line in LABELLED.strip().splitlines():
        dialect, phase, lock, sql = line.split("|", 3)
        dialect, _, server = dialect.partition(":")
        out.append((dialect, server or None, Phase(phase), None if lock == "-" else lock,
                    sql.replace("\\n", "\n")))
    return out


ROWS = _rows()
_DESTRUCTIVE_STARTS = ("DROP TABLE", "DROP DATABASE", "DROP SCHEMA", "TRUNCATE")


def _analyze(dialect: str, server: str | None, sql: str):  # type: ignore[no-untyped-def]
    return analyze_statement(Statement(1, sql), dialect, server_version=server)


def test_the_labelled_set_is_large_enough_and_covers_every_dialect() -> None:
    assert len(ROWS) >= 150
    assert {r[0] for r in ROWS} == {"mysql", "mariadb", "postgresql", "sqlite"}
    assert {r[2] for r in ROWS} == set(Phase)


def test_phase_accuracy_is_at_least_95_percent() -> None:
    wrong = [(sql, want, got.phase) for d, srv, want, _, sql in ROWS
             if (got := _analyze(d, srv, sql)).phase != want]
    accuracy = 1 - len(wrong) / len(ROWS)
    assert accuracy >= 0.95, wrong


def test_lock_accuracy_is_at_least_95_percent() -> None:
    wrong = [(sql, want, got.lock) for d, srv, _, want, sql in ROWS
             if (got := _analyze(d, srv, sql)).lock != want]
    assert 1 - len(wrong) / len(ROWS) >= 0.95, wrong


def test_no_destructive_statement_is_classified_expand() -> None:
    checked = 0
    for d, srv, _, _, sql in ROWS:
        code = re.sub(r"(?m)/\*[^*]*\*/|^\s*(--|#)[^\n]*$", "", sql).strip().upper()
        dropped = re.search(r"\bDROP (COLUMN |PARTITION )?(IF EXISTS )?\w+( CASCADE)?$", code)
        destructive = code.startswith(_DESTRUCTIVE_STARTS) or dropped
        if destructive and "flywayx:phase" not in sql:
            checked += 1
            assert _analyze(d, srv, sql).phase != Phase.EXPAND, sql
    assert checked >= 15


@pytest.mark.parametrize(("dialect", "server", "phase", "lock", "sql"), ROWS[:40])
def test_first_rows_individually(dialect: str, server: str | None, phase: Phase, lock: str | None,
                                 sql: str) -> None:
    fp = _analyze(dialect, server, sql)
    assert (fp.phase, fp.lock) == (phase, lock)
