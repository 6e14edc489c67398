"""A CloudStack-like history on three lines (4.5, 4.6, 4.7), built step by step with git.

    main:  4.5.0 - 4.5.1 - 4.6.0 ------- merge(4.5) - 4.6.1 - 4.7.0 -------- pick(4.6.2.1) - 4.7.1 - 4.7.2
    4.5:            \\----------- 4.5.2 -/
    4.6:                                                 \\- 4.6.2 ------------- 4.6.3
Tag order in time: 4.5.0 4.5.1 4.6.0 4.5.2 4.6.1 4.7.0 4.6.2 4.7.1 4.6.3 4.7.2.
4.5.2 ships after 4.6.0 and is merged into 4.6.1; 4.6.2's fix is cherry-picked into 4.7.1 under a
4.7 version; 4.6.3's fix never reaches 4.7.2 (the forgotten merge).
"""

from __future__ import annotations

from .conftest import Repo

EXPECTED = """\
[lines]
depth = 2

[release."4.5.0"]

[release."4.5.1"]

[release."4.5.2"]

[release."4.6.0"]
from = "4.5.1"

[release."4.6.1"]
merges = ["4.5.2"]

[release."4.6.2"]

[release."4.6.3"]

[release."4.7.0"]
from = "4.6.1"

[release."4.7.1"]

[release."4.7.2"]

[equivalent]
"4.7.1.1" = "4.6.2.1"
"""

FIX_462 = "CREATE INDEX i_host_name ON host (name);"


def build(repo: Repo) -> None:
    """Build the history above in ``repo`` (main checked out at the end)."""
    repo.add("V4.5.0.1__host.sql", "CREATE TABLE host (id INTEGER PRIMARY KEY, name VARCHAR(40));")
    repo.release("4.5.0")
    repo.add("V4.5.1.1__vm.sql", "CREATE TABLE vm (id INTEGER PRIMARY KEY, host_id INTEGER);")
    repo.release("4.5.1")
    repo.branch("4.5", "4.5.1")
    repo.checkout("main")
    repo.add("V4.6.0.1__host_state.sql", "ALTER TABLE host ADD COLUMN state VARCHAR(10);")
    repo.release("v4.6.0")
    repo.checkout("4.5")
    repo.add("V4.5.2.1__vm_host_index.sql", "CREATE INDEX i_vm_host ON vm (host_id);")
    repo.release("4.5.2")
    repo.checkout("main")
    repo.merge("4.5")
    repo.add("V4.6.1.1__host_ip.sql", "ALTER TABLE host ADD COLUMN ip VARCHAR(40);")
    repo.release("4.6.1")
    repo.branch("4.6", "4.6.1")
    repo.checkout("main")
    repo.add("V4.7.0.1__zone.sql", "CREATE TABLE zone (id INTEGER PRIMARY KEY, name VARCHAR(40));")
    repo.release("4.7.0")
    repo.checkout("4.6")
    fix = repo.add("V4.6.2.1__host_name_index.sql", "-- fix: slow host lookups\n" + FIX_462)
    repo.release("4.6.2")
    repo.checkout("main")
    repo.cherry_pick_as(fix, "V4.6.2.1__host_name_index.sql", "V4.7.1.1__host_name_index.sql")
    repo.release("4.7.1")
    repo.checkout("4.6")
    repo.add("V4.6.3.1__vm_state.sql", "ALTER TABLE vm ADD COLUMN state VARCHAR(10);")
    repo.release("4.6.3")
    repo.checkout("main")
    repo.add("V4.7.2.1__zone_dns.sql", "ALTER TABLE zone ADD COLUMN dns VARCHAR(40);")
    repo.release("4.7.2")
