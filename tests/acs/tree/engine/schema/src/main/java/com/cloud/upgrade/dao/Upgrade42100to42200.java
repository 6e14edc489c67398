// Hand-written test fixture.
package com.cloud.upgrade.dao;

import java.io.InputStream;
import java.sql.Connection;

public class Upgrade42100to42200 extends DbUpgradeAbstractImpl implements DbUpgrade, DbUpgradeSystemVmTemplate {
    @Override
    public String[] getUpgradableVersionRange() {
        return new String[] {"4.21.0.0", "4.22.0.0"};
    }

    @Override
    public String getUpgradedVersion() {
        return "4.22.0.0";
    }
    @Override
    public InputStream[] getPrepareScripts() {
        final String scriptFile = "META-INF/db/schema-42100to42200.sql";
        final InputStream script = Thread.currentThread().getContextClassLoader().getResourceAsStream(scriptFile);
        return new InputStream[] {script};
    }

    @Override
    public void performDataMigration(Connection conn) {
        updateOwners(conn);
    }
}
