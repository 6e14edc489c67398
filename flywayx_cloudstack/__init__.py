"""CloudStack support as a flywayx plugin: the importer of the Apache CloudStack (ACS) upgrade corpus,
adoption of a live CloudStack database (``baseline --acs``) and CloudStack's upgrade session.

flywayx loads it through the ``flywayx.plugins`` entry point ``cloudstack`` (``plugin.py``;
docs/plugins.md); the core never imports this package. ``import_acs`` (in :mod:`project`) reads a
CloudStack source tree and writes a flywayx project; the parsers beside it are pure functions of text
that return ``(result, issues)``; ``service`` adopts a database; ``session`` builds ``initSql`` from
``db.properties``; ``phases`` computes the corpus table of docs/online-upgrades.md. The Python ports of
the Java upgrade steps are the package ``java_equiv`` (imported by ``project``).
"""
