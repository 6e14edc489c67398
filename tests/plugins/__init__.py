"""The plugin contract (flywayx/plugins.py) and its worked example (example.py, shown in docs/plugins.md)."""
