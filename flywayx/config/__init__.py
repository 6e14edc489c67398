"""Configuration: where settings come from and what they mean, as Flyway 13's command line reads them.

- ``load``: ``load_config`` merges the layers below into one typed ``Config`` (flywayx/model/config.py).
- ``layers``: which files (TOML or .conf mode), ``FLYWAY_*`` variables and ``-key=value`` options apply.
- ``files``: parsers for ``flyway.toml`` and legacy ``flyway.conf`` text.
- ``keys``: the one table of keys (Flyway name, ``Config`` field, kind, default, environment variable).
- ``values``: typing one value (Flyway's boolean/integer rules, lists, ``${resolver.key}``).
- ``urls``: SQLAlchemy-style and JDBC-style database URLs.
- ``doc``: renders the key reference in docs/configuration.md from ``keys``.

Pure apart from reading the configuration files: no database, no migration files, no click.
"""
