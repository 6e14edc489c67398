"""SQL statements: how a script splits into statements and what each statement is and does.

- ``dialects``: each dialect's lexical facts (quotes, escapes, comments, dollar quotes, Flyway's peek
  depth), frozen in one table that the splitter's and the analyser's lexers are built from.
- ``splitter`` (with ``split_engine`` and ``split_lexer``): split a script exactly as Flyway 13 does.
- ``classify``: what a statement is as the server sees it (versioned comments, ``SET``, delimiters).
- ``session``: the session state a MySQL/MariaDB migration builds, replayed by ``migrate --resume``.
- ``content_id``: the identity of a change from what its statements do, not how they are written.
- ``analyze``: what a statement reads and writes, its expand/contract phase and its lock impact.

Pure functions of text and dialect: no database, no files, no configuration loading.
"""
