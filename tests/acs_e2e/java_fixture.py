# ruff: noqa: E501 - the table rows are data, one class per line
"""Build a CloudStack-shaped SOURCE tree in a temporary directory: the real SQL corpus in the
META-INF/db and setup/db layout, plus hand-written Java generated from the compact table below.

The table states, for every class on CloudStack's chain from 4.0.0 (main @ 3d6cafe), what the real
class declares: its checker registrations, version range, target, prepare and cleanup scripts, the
first helpers its ``performDataMigration`` calls, and scripts the Java runs itself. The generated
classes use the real shapes: explicit getters with ``META-INF/db`` paths, ``null`` cleanup getters,
a subclass that inherits everything but its range (Upgrade453to460), and a class relying on the
interface's ``String.format`` default cleanup (Upgrade42100to42200). The unregistered
Upgrade41910to41920 is included, as on main, for the 4.19.2.0 override.
"""

from __future__ import annotations

import shutil
from pathlib import Path

DEFAULT = "default"  # the cleanup getter is inherited from the DbUpgrade interface
PARENTS = {"Upgrade453to460": "Upgrade452to460"}

NODES = (
    ("4.0.0", "Upgrade40to41"),
    ("4.0.1", "Upgrade40to41"),
    ("4.0.2", "Upgrade40to41"),
    ("4.1.0", "Upgrade410to420"),
    ("4.1.1", "Upgrade410to420"),
    ("4.2.0", "Upgrade420to421"),
    ("4.2.1", "Upgrade421to430"),
    ("4.3.0", "Upgrade430to440"),
    ("4.4.0", "Upgrade440to441"),
    ("4.4.1", "Upgrade441to442"),
    ("4.4.2", "Upgrade442to450"),
    ("4.4.3", "Upgrade443to444"),
    ("4.5.0", "Upgrade450to451"),
    ("4.5.1", "Upgrade451to452"),
    ("4.5.2", "Upgrade452to453"),
    ("4.5.3", "Upgrade453to460"),
    ("4.6.0", "Upgrade460to461"),
    ("4.6.1", "Upgrade461to470"),
    ("4.6.2", "Upgrade461to470"),
    ("4.7.0", "Upgrade470to471"),
    ("4.7.1", "Upgrade471to480"),
    ("4.7.2", "Upgrade471to480"),
    ("4.8.0", "Upgrade480to481"),
    ("4.8.1", "Upgrade481to490"),
    ("4.8.2.0", "Upgrade481to490"),
    ("4.9.0", "Upgrade490to4910"),
    ("4.9.1.0", "Upgrade4910to4920"),
    ("4.9.2.0", "Upgrade4920to4930"),
    ("4.9.3.0", "Upgrade4930to41000"),
    ("4.9.3.1", "Upgrade4930to41000"),
    ("4.10.0.0", "Upgrade41000to41100"),
    ("4.11.0.0", "Upgrade41100to41110"),
    ("4.11.1.0", "Upgrade41110to41120"),
    ("4.11.2.0", "Upgrade41120to41130"),
    ("4.11.3.0", "Upgrade41120to41200"),
    ("4.12.0.0", "Upgrade41200to41300"),
    ("4.13.0.0", "Upgrade41300to41310"),
    ("4.13.1.0", "Upgrade41310to41400"),
    ("4.14.0.0", "Upgrade41400to41500"),
    ("4.14.1.0", "Upgrade41400to41500"),
    ("4.15.0.0", "Upgrade41500to41510"),
    ("4.15.1.0", "Upgrade41510to41520"),
    ("4.15.2.0", "Upgrade41520to41600"),
    ("4.16.0.0", "Upgrade41600to41610"),
    ("4.16.1.0", "Upgrade41610to41700"),
    ("4.16.1.1", "Upgrade41610to41700"),
    ("4.17.0.0", "Upgrade41700to41710"),
    ("4.17.0.1", "Upgrade41700to41710"),
    ("4.17.1.0", "Upgrade41710to41720"),
    ("4.17.2.0", "Upgrade41720to41800"),
    ("4.18.0.0", "Upgrade41800to41810"),
    ("4.18.1.0", "Upgrade41810to41900"),
    ("4.19.0.0", "Upgrade41900to41910"),
    ("4.19.1.0", "Upgrade41910to42000"),
    ("4.20.0.0", "Upgrade42000to42010"),
    ("4.20.1.0", "Upgrade42010to42100"),
    ("4.21.0.0", "Upgrade42100to42200"),
)

STEPS = (  # class, range, target, prepare, cleanup, java calls, scripts the Java runs
    (
        "Upgrade40to41",
        ("4.0.0", "4.1.0"),
        "4.1.0",
        ("schema-40to410.sql",),
        ("schema-40to410-cleanup.sql",),
        ("updateRegionEntries", "upgradeEgressFirewallRules"),
        (),
    ),
    (
        "Upgrade41000to41100",
        ("4.10.0.0", "4.11.0.0"),
        "4.11.0.0",
        ("schema-41000to41100.sql",),
        ("schema-41000to41100-cleanup.sql",),
        ("checkAndEnableDynamicRoles", "validateUserDataInBase64"),
        (),
    ),
    (
        "Upgrade410to420",
        ("4.1.0", "4.2.0"),
        "4.2.0",
        ("schema-410to420.sql",),
        ("schema-410to420-cleanup.sql",),
        ("movePrivateZoneToDedicatedResource", "upgradeVmwareLabels", "persistLegacyZones"),
        (),
    ),
    (
        "Upgrade41100to41110",
        ("4.11.0.0", "4.11.1.0"),
        "4.11.1.0",
        ("schema-41100to41110.sql",),
        ("schema-41100to41110-cleanup.sql",),
        ("markUnnecessarySecureConfigsAsUnsecure",),
        (),
    ),
    (
        "Upgrade41110to41120",
        ("4.11.1.0", "4.11.2.0"),
        "4.11.2.0",
        ("schema-41110to41120.sql",),
        ("schema-41110to41120-cleanup.sql",),
        (),
        (),
    ),
    ("Upgrade41120to41130", ("4.11.2.0", "4.11.3.0"), "4.11.3.0", (), (), (), ()),
    (
        "Upgrade41120to41200",
        ("4.11.2.0", "4.12.0.0"),
        "4.12.0.0",
        ("schema-41120to41200.sql",),
        ("schema-41120to41200-cleanup.sql",),
        ("updateManagementServerHostUuid",),
        (),
    ),
    (
        "Upgrade41200to41300",
        ("4.12.0.0", "4.13.0.0"),
        "4.13.0.0",
        ("schema-41200to41300.sql",),
        ("schema-41200to41300-cleanup.sql",),
        (),
        (),
    ),
    ("Upgrade41300to41310", ("4.13.0.0", "4.13.1.0"), "4.13.1.0", (), (), (), ()),
    (
        "Upgrade41310to41400",
        ("4.13.1.0", "4.14.0.0"),
        "4.14.0.0",
        ("schema-41310to41400.sql",),
        ("schema-41310to41400-cleanup.sql",),
        (),
        (),
    ),
    (
        "Upgrade41400to41500",
        ("4.14.0.0", "4.15.0.0"),
        "4.15.0.0",
        ("schema-41400to41500.sql",),
        ("schema-41400to41500-cleanup.sql",),
        ("addRolePermissionsForNewReadOnlyAndSupportRoles",),
        (),
    ),
    (
        "Upgrade41500to41510",
        ("4.15.0.0", "4.15.1.0"),
        "4.15.1.0",
        ("schema-41500to41510.sql",),
        ("schema-41500to41510-cleanup.sql",),
        (),
        (),
    ),
    (
        "Upgrade41510to41520",
        ("4.15.1.0", "4.15.2.0"),
        "4.15.2.0",
        ("schema-41510to41520.sql",),
        ("schema-41510to41520-cleanup.sql",),
        (),
        (),
    ),
    (
        "Upgrade41520to41600",
        ("4.15.2.0", "4.16.0.0"),
        "4.16.0.0",
        ("schema-41520to41600.sql",),
        ("schema-41520to41600-cleanup.sql",),
        ("generateUuidForExistingSshKeyPairs", "populateAnnotationPermissions"),
        (),
    ),
    (
        "Upgrade41600to41610",
        ("4.16.0.0", "4.16.1.0"),
        "4.16.1.0",
        ("schema-41600to41610.sql",),
        ("schema-41600to41610-cleanup.sql",),
        (),
        (),
    ),
    (
        "Upgrade41610to41700",
        ("4.16.1.0", "4.17.0.0"),
        "4.17.0.0",
        ("schema-41610to41700.sql",),
        ("schema-41610to41700-cleanup.sql",),
        ("fixWrongDatastoreClusterPoolUuid",),
        (),
    ),
    (
        "Upgrade41700to41710",
        ("4.17.0.0", "4.17.1.0"),
        "4.17.1.0",
        ("schema-41700to41710.sql",),
        ("schema-41700to41710-cleanup.sql",),
        ("updateStorPoolStorageType",),
        (),
    ),
    ("Upgrade41710to41720", ("4.17.1.0", "4.17.2.0"), "4.17.2.0", (), (), (), ()),
    (
        "Upgrade41720to41800",
        ("4.17.2.0", "4.18.0.0"),
        "4.18.0.0",
        ("schema-41720to41800.sql",),
        ("schema-41720to41800-cleanup.sql",),
        ("convertQuotaTariffsToNewParadigm", "convertVmResourcesQuotaTypesToRunningVmQuotaType", "correctGuestOsNames"),
        (),
    ),
    (
        "Upgrade41800to41810",
        ("4.18.0.0", "4.18.1.0"),
        "4.18.1.0",
        ("schema-41800to41810.sql",),
        ("schema-41800to41810-cleanup.sql",),
        ("fixForeignKeyNames", "updateGuestOsMappings", "copyGuestOsMappingsToVMware80u1"),
        (),
    ),
    (
        "Upgrade41810to41900",
        ("4.18.1.0", "4.19.0.0"),
        "4.19.0.0",
        ("schema-41810to41900.sql",),
        ("schema-41810to41900-cleanup.sql",),
        (
            "decryptConfigurationValuesFromAccountAndDomainScopesNotInSecureHiddenCategories",
            "migrateBackupDates",
            "addIndexes",
        ),
        (),
    ),
    (
        "Upgrade41900to41910",
        ("4.19.0.0", "4.19.1.0"),
        "4.19.1.0",
        ("schema-41900to41910.sql",),
        ("schema-41900to41910-cleanup.sql",),
        ("addIndexes",),
        (),
    ),
    (
        "Upgrade41910to41920",
        ("4.19.1.0", "4.19.2.0"),
        "4.19.2.0",
        ("schema-41910to41920.sql",),
        ("schema-41910to41920-cleanup.sql",),
        (),
        (),
    ),
    (
        "Upgrade41910to42000",
        ("4.19.1.0", "4.20.0.0"),
        "4.20.0.0",
        ("schema-41910to42000.sql",),
        ("schema-41910to42000-cleanup.sql",),
        ("checkAndUpdateAffinityGroupNameCharSetToUtf8mb4",),
        (),
    ),
    (
        "Upgrade42000to42010",
        ("4.20.0.0", "4.20.1.0"),
        "4.20.1.0",
        ("schema-42000to42010.sql",),
        ("schema-42000to42010-cleanup.sql",),
        ("addIndexes",),
        (),
    ),
    (
        "Upgrade42010to42100",
        ("4.20.1.0", "4.21.0.0"),
        "4.21.0.0",
        ("schema-42010to42100.sql",),
        ("schema-42010to42100-cleanup.sql",),
        ("updateKubernetesClusterNodeVersions", "migrateConfigurationScopeToBitmask"),
        (),
    ),
    (
        "Upgrade420to421",
        ("4.2.0", "4.2.1"),
        "4.2.1",
        ("schema-420to421.sql",),
        (),
        ("upgradeResourceCount", "updateOverprovisioningPerVm"),
        (),
    ),
    (
        "Upgrade42100to42200",
        ("4.21.0.0", "4.22.0.0"),
        "4.22.0.0",
        ("schema-42100to42200.sql",),
        DEFAULT,
        ("updateSnapshotPolicyOwnership", "updateBackupScheduleOwnership"),
        (),
    ),
    (
        "Upgrade421to430",
        ("4.2.1", "4.3.0"),
        "4.3.0",
        ("schema-421to430.sql",),
        ("schema-421to430-cleanup.sql",),
        ("encryptImageStoreDetails", "upgradeMemoryOfSsvmOffering"),
        (),
    ),
    (
        "Upgrade430to440",
        ("4.3.0", "4.4.0"),
        "4.4.0",
        ("schema-430to440.sql",),
        ("schema-430to440-cleanup.sql",),
        ("secondaryIpsAccountAndDomainIdsUpdate", "moveCidrsToTheirOwnTable", "addExtractTemplateAndVolumeColumns"),
        (),
    ),
    (
        "Upgrade440to441",
        ("4.4.0", "4.4.1"),
        "4.4.1",
        ("schema-440to441.sql",),
        ("schema-440to441-cleanup.sql",),
        (),
        (),
    ),
    ("Upgrade441to442", ("4.4.1", "4.4.2"), "4.4.2", ("schema-441to442.sql",), (), (), ()),
    (
        "Upgrade442to450",
        ("4.4.2", "4.5.0"),
        "4.5.0",
        ("schema-442to450.sql",),
        ("schema-442to450-cleanup.sql",),
        (
            "dropInvalidKeyFromStoragePoolTable",
            "dropDuplicatedForeignKeyFromAsyncJobTable",
            "updateMaxRouterSizeConfig",
        ),
        (),
    ),
    ("Upgrade443to444", ("4.4.3", "4.4.4"), "4.4.4", ("schema-443to444.sql",), (), (), ()),
    (
        "Upgrade450to451",
        ("4.5.0", "4.5.1"),
        "4.5.1",
        ("schema-450to451.sql",),
        ("schema-450to451-cleanup.sql",),
        ("encryptKeyInKeyStore", "encryptIpSecPresharedKeysOfRemoteAccessVpn", "encryptStoragePoolUserInfo"),
        (),
    ),
    (
        "Upgrade451to452",
        ("4.5.1", "4.5.2"),
        "4.5.2",
        ("schema-451to452.sql",),
        ("schema-451to452-cleanup.sql",),
        (),
        (),
    ),
    (
        "Upgrade452to453",
        ("4.5.2", "4.5.3"),
        "4.5.3",
        ("schema-452to453.sql",),
        ("schema-452to453-cleanup.sql",),
        (),
        (),
    ),
    (
        "Upgrade452to460",
        ("4.5.2", "4.6.0"),
        "4.6.0",
        ("schema-452to460.sql",),
        ("schema-452to460-cleanup.sql",),
        ("updateVMInstanceUserId", "addIndexForVMInstance"),
        (),
    ),
    ("Upgrade453to460", ("4.5.3", "4.6.0"), "4.6.0", (), (), (), ()),  # extends Upgrade452to460
    (
        "Upgrade460to461",
        ("4.6.0", "4.6.1"),
        "4.6.1",
        ("schema-460to461.sql",),
        ("schema-460to461-cleanup.sql",),
        (),
        (),
    ),
    (
        "Upgrade461to470",
        ("4.6.1", "4.7.0"),
        "4.7.0",
        ("schema-461to470.sql",),
        ("schema-461to470-cleanup.sql",),
        ("alterAddColumnToCloudUsage",),
        (),
    ),
    (
        "Upgrade470to471",
        ("4.7.0", "4.7.1"),
        "4.7.1",
        ("schema-470to471.sql",),
        ("schema-470to471-cleanup.sql",),
        (),
        (),
    ),
    (
        "Upgrade471to480",
        ("4.7.1", "4.8.0"),
        "4.8.0",
        ("schema-471to480.sql",),
        ("schema-471to480-cleanup.sql",),
        (),
        (),
    ),
    (
        "Upgrade480to481",
        ("4.8.0", "4.8.1"),
        "4.8.1",
        ("schema-480to481.sql",),
        ("schema-480to481-cleanup.sql",),
        (),
        (),
    ),
    (
        "Upgrade481to490",
        ("4.8.1", "4.9.0"),
        "4.9.0",
        ("schema-481to490.sql",),
        ("schema-481to490-cleanup.sql",),
        ("setupRolesAndPermissionsForDynamicChecker",),
        ("create-default-role-api-mappings.sql",),
    ),
    (
        "Upgrade490to4910",
        ("4.9.0", "4.9.1.0"),
        "4.9.1.0",
        ("schema-490to4910.sql",),
        ("schema-490to4910-cleanup.sql",),
        (),
        (),
    ),
    (
        "Upgrade4910to4920",
        ("4.9.1.0", "4.9.2.0"),
        "4.9.2.0",
        ("schema-4910to4920.sql",),
        ("schema-4910to4920-cleanup.sql",),
        (),
        (),
    ),
    (
        "Upgrade4920to4930",
        ("4.9.2.0", "4.9.3.0"),
        "4.9.3.0",
        ("schema-4920to4930.sql",),
        ("schema-4920to4930-cleanup.sql",),
        (),
        (),
    ),
    (
        "Upgrade4930to41000",
        ("4.9.3.0", "4.10.0.0"),
        "4.10.0.0",
        ("schema-4930to41000.sql",),
        ("schema-4930to41000-cleanup.sql",),
        ("populateGuestOsDetails", "updateSourceCidrs"),
        (),
    ),
)


JAVA_DIR = Path("engine/schema/src/main/java/com/cloud/upgrade")
DB_DIR = Path("engine/schema/src/main/resources/META-INF/db")
HEAD = "// Generated test fixture (tests/acs_e2e/java_fixture.py): the shape of CloudStack's code, not its code.\n"

INTERFACE = (
    HEAD
    + """package com.cloud.upgrade.dao;

import java.io.InputStream;
import java.sql.Connection;

public interface DbUpgrade {
    String[] getUpgradableVersionRange();
    String getUpgradedVersion();
    default InputStream[] getPrepareScripts() {
        String from = getUpgradableVersionRange()[0];
        String to = getUpgradableVersionRange()[1];
        final String file = String.format("META-INF/db/schema-%sto%s.sql", from.replace(".", ""), to.replace(".", ""));
        return new InputStream[]{Thread.currentThread().getContextClassLoader().getResourceAsStream(file)};
    }
    default void performDataMigration(Connection conn) {
    }
    default InputStream[] getCleanupScripts() {
        String from = getUpgradableVersionRange()[0];
        String to = getUpgradableVersionRange()[1];
        final String file = String.format("META-INF/db/schema-%sto%s-cleanup.sql", from.replace(".", ""), to.replace(".", ""));
        return new InputStream[]{Thread.currentThread().getContextClassLoader().getResourceAsStream(file)};
    }
}
"""
)


def _scripts_getter(name: str, scripts: tuple[str, ...]) -> str:
    if not scripts:
        return f"    @Override\n    public InputStream[] {name}() {{\n        return null;\n    }}\n"
    lines = [f"    @Override\n    public InputStream[] {name}() {{"]
    for k, s in enumerate(scripts):
        lines.append(f'        final String scriptFile{k} = "META-INF/db/{s}";')
        lines.append(
            f"        final InputStream script{k} = Thread.currentThread().getContextClassLoader()"
            f".getResourceAsStream(scriptFile{k});"
        )
    lines.append("        return new InputStream[] {" + ", ".join(f"script{k}" for k in range(len(scripts))) + "};")
    return "\n".join(lines) + "\n    }\n"


def _migration(calls: tuple[str, ...], java_scripts: tuple[str, ...]) -> str:
    body = [f"        {c}(conn);" for c in calls]
    body += [f'        runScript(conn, "META-INF/db/{s}");' for s in java_scripts]
    if not body:
        return ""
    return "    @Override\n    public void performDataMigration(Connection conn) {\n" + "\n".join(body) + "\n    }\n"


def java_class(row: tuple) -> str:  # type: ignore[type-arg]
    """Source of one step class from its table row."""
    name, rng, target, prepare, cleanup, calls, java_scripts = row
    parent = PARENTS.get(name, "DbUpgradeAbstractImpl")
    parts = [
        HEAD,
        "package com.cloud.upgrade.dao;\n\nimport java.io.InputStream;\nimport java.sql.Connection;\n\n",
        f"public class {name} extends {parent} implements DbUpgrade {{\n",
        f'    @Override\n    public String[] getUpgradableVersionRange() {{\n        return new String[] {{"{rng[0]}", '
        f'"{rng[1]}"}};\n    }}\n',
        f'    @Override\n    public String getUpgradedVersion() {{\n        return "{target}";\n    }}\n',
    ]
    if name not in PARENTS:
        parts.append(_scripts_getter("getPrepareScripts", prepare))
        if cleanup != DEFAULT:
            parts.append(_scripts_getter("getCleanupScripts", cleanup))
        parts.append(_migration(calls, java_scripts))
    return "".join(parts) + "}\n"


def checker(nodes: tuple[tuple[str, str], ...] = NODES) -> str:
    regs = "\n".join(f'                .next("{v}", new {c}())' for v, c in nodes)
    return (
        HEAD + "package com.cloud.upgrade;\n\nimport com.cloud.upgrade.dao.*;\n\n"
        "public class DatabaseUpgradeChecker {\n    private final DatabaseVersionHierarchy hierarchy;\n\n"
        "    public DatabaseUpgradeChecker() {\n        hierarchy = DatabaseVersionHierarchy.builder()\n"
        f"{regs}\n                .build();\n    }}\n}}\n"
    )


# The management server's JDBC settings, in the shape of utils/conf/db.properties (the values are
# CloudStack's: acs-corpus.md §4.1; the other keys are placeholders).
SQL_MODE = "STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"
DB_PROPERTIES = f"""# Generated test fixture (tests/acs_e2e/java_fixture.py)
db.cloud.username=cloud
db.cloud.host=localhost
db.cloud.url.params=prepStmtCacheSize=517&cachePrepStmts=true&sessionVariables=sql_mode='{SQL_MODE}'\\
&serverTimezone=UTC
db.usage.url.params=serverTimezone=UTC
"""


def write_source_tree(corpus: Path, dest: Path) -> Path:
    """Lay out ``dest`` as a CloudStack source tree: corpus SQL plus the generated Java."""
    shutil.copytree(corpus / "META-INF" / "db", dest / DB_DIR)
    shutil.copytree(corpus / "setup" / "db", dest / "setup" / "db")
    dao = dest / JAVA_DIR / "dao"
    dao.mkdir(parents=True)
    (dest / JAVA_DIR / "DatabaseUpgradeChecker.java").write_text(checker(), encoding="utf-8")
    (dao / "DbUpgrade.java").write_text(INTERFACE, encoding="utf-8")
    abstract = (
        HEAD
        + "package com.cloud.upgrade.dao;\n\npublic abstract class DbUpgradeAbstractImpl implements DbUpgrade {\n}\n"
    )
    (dao / "DbUpgradeAbstractImpl.java").write_text(abstract, encoding="utf-8")
    for row in STEPS:
        (dao / f"{row[0]}.java").write_text(java_class(row), encoding="utf-8")
    (dest / "utils" / "conf").mkdir(parents=True)
    (dest / "utils" / "conf" / "db.properties").write_text(DB_PROPERTIES, encoding="utf-8")
    return dest
