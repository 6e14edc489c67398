"""Migration sources: finding migrations on disk and in git, and reading ``releases.toml``.

- ``scan`` (with ``locations``, ``names``, ``checksum``, ``placeholders``, ``script_conf``): the
  migrations, callbacks and their checksums as Flyway 13 resolves them.
- ``releases`` (with ``release_problems``): the release graph of ``releases.toml``.
- ``gitrel``, ``pending``: release tags, ancestry and pending migrations from a git repository.
- ``rename``: rewrite seed-style alias names to Flyway names.

Configuration lives in ``flywayx.config``; splitting and analysing statements in ``flywayx.statements``;
the CloudStack importer is a plugin (``flywayx_cloudstack``, docs/plugins.md).
"""
