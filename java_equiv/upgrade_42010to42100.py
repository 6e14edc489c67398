"""Port of Upgrade42010to42100.performDataMigration (4.21.0.0).

1. ``updateKubernetesClusterNodeVersions``: every node row of a not-removed Kubernetes cluster
   (``kubernetes_cluster_vm_map``) gets the semantic version of its cluster's Kubernetes version.
   A re-run writes the same values.
2. ``migrateConfigurationScopeToBitmask``: only while ``configuration.scope`` is ``varchar(255)``
   (so a re-run does nothing): add ``new_scope``, set it to the bit of the scope name (ConfigKey.Scope:
   Global 1, Zone 2, Cluster 4, StoragePool 8, ManagementServer 16, ImageStore 32, Domain 64,
   Account 128; other names 0), drop ``scope`` and rename ``new_scope`` to ``scope``
   (``BIGINT NOT NULL DEFAULT 0``). The column changes go through DbUpgradeUtils, whose errors are
   logged, not fatal; the value update fails the step, as in the Java.
"""

from __future__ import annotations

from typing import Any

from java_equiv._db import execute, rows
from java_equiv._dbupgrade import add_column_if_not_exist, change_column_if_exist, column_type, drop_columns_if_exist

SCHEMA_EFFECTS: tuple[str, ...] = (
    "table cloud.configuration",  # column order: `scope` is re-added last
    "table cloud.configuration column scope",
)

SCOPE_BITS = (
    ("Global", 1),
    ("Zone", 2),
    ("Cluster", 4),
    ("StoragePool", 8),
    ("ManagementServer", 16),
    ("ImageStore", 32),
    ("Domain", 64),
    ("Account", 128),
)
SCOPE_COMMENT = "BIGINT NOT NULL DEFAULT 0 COMMENT 'Bitmask for scope(s) of this parameter'"


def update_kubernetes_cluster_node_versions(conn: Any, cloud: str = "cloud") -> None:
    clusters = rows(
        conn,
        f"SELECT c.id, v.semantic_version FROM `{cloud}`.`kubernetes_cluster` c "
        f"JOIN `{cloud}`.`kubernetes_supported_version` v ON (c.kubernetes_version_id = v.id) "
        "WHERE c.removed IS NULL",
    )
    for cluster_id, version in clusters:
        nodes = rows(conn, f"SELECT id FROM `{cloud}`.`kubernetes_cluster_vm_map` WHERE cluster_id = %s", (cluster_id,))
        for (node_id,) in nodes:
            execute(
                conn,
                f"UPDATE `{cloud}`.`kubernetes_cluster_vm_map` SET kubernetes_node_version = %s WHERE id = %s",
                (version, node_id),
            )


def scope_update_sql(cloud: str = "cloud") -> str:
    cases = " ".join(f"WHEN scope = '{name}' THEN {bit}" for name, bit in SCOPE_BITS)
    return f"UPDATE `{cloud}`.`configuration` SET new_scope = CASE {cases} ELSE 0 END WHERE scope IS NOT NULL"


def migrate_configuration_scope_to_bitmask(conn: Any, cloud: str = "cloud") -> None:
    if column_type(conn, "configuration", "scope", schema=cloud) != "varchar(255)":
        return
    add_column_if_not_exist(conn, "configuration", "new_scope", "BIGINT DEFAULT 0", schema=cloud)
    execute(conn, scope_update_sql(cloud))
    drop_columns_if_exist(conn, "configuration", ["scope"], schema=cloud)
    change_column_if_exist(conn, "configuration", "new_scope", "scope", SCOPE_COMMENT, schema=cloud)


def migrate(conn: Any, *, cloud: str = "cloud") -> None:
    """``cloud`` names the schema the Java hard-codes (tests use a scratch one)."""
    update_kubernetes_cluster_node_versions(conn, cloud)
    migrate_configuration_scope_to_bitmask(conn, cloud)
