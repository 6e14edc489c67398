"""flywayx: a Flyway-compatible migration tool that understands release lines."""

__version__ = "0.1.0"
