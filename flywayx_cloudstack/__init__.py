"""Importer for the Apache CloudStack (ACS) upgrade corpus.

``import_acs`` (in :mod:`project`) reads a CloudStack source tree and writes a flywayx project.
The other modules are pure parsers of text that return ``(result, issues)``.
"""
