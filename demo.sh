#!/usr/bin/env bash
# One command on a fresh machine: install flywayx in .venv and migrate the example project (sql/)
# into an embedded SQLite database, then show its state and its release graph.
set -euo pipefail
cd "$(dirname "$0")"
[ -x .venv/bin/flywayx ] || { python3 -m venv .venv && .venv/bin/pip install -q -e . 2>&1 | grep -v 'is ignored' || true; }
rm -f demo.db demo.db.flywayx-lock
export NO_COLOR=${NO_COLOR:-}
set -x
.venv/bin/flywayx --url sqlite:///demo.db --locations sql migrate --to 1.2.0
.venv/bin/flywayx --url sqlite:///demo.db --locations sql info
.venv/bin/flywayx --url sqlite:///demo.db --locations sql graph --to 1.2.1
.venv/bin/flywayx --url sqlite:///demo.db --locations sql plan --to 1.2.1
.venv/bin/flywayx --url sqlite:///demo.db --locations sql migrate --to 1.2.1
.venv/bin/flywayx --url sqlite:///demo.db --locations sql info
.venv/bin/flywayx --url sqlite:///demo.db --locations sql graph
