"""Python ports of CloudStack's Java ``performDataMigration`` logic, one module per step class.

Each module exposes ``migrate(conn)`` taking a DBAPI connection (PyMySQL) whose default database
is ``cloud``, as CloudStack's own connection is. A module that ports only part of its step
declares ``MISSING = (...)`` naming what it leaves out; the generated ``V<R>.2`` migration then
reports it as partial. The status of all 26 Java-bearing steps is in docs/acs-java-steps.md.
"""
