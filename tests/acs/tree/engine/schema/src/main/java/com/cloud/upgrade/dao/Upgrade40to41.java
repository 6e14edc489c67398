// Hand-written test fixture.
package com.cloud.upgrade.dao;

import java.io.InputStream;
import java.sql.Connection;

public class Upgrade40to41 extends DbUpgradeAbstractImpl {
    @Override
    public String[] getUpgradableVersionRange() {
        return new String[] {"4.0.0", "4.1.0"};
    }

    @Override
    public String getUpgradedVersion() {
        return "4.1.0";
    }
    @Override
    public InputStream[] getPrepareScripts() {
        final String scriptFile = "META-INF/db/schema-40to410.sql";
        final InputStream script = Thread.currentThread().getContextClassLoader().getResourceAsStream(scriptFile);
        return new InputStream[] {script};
    }
    @Override
    public InputStream[] getCleanupScripts() {
        final String scriptFile = "META-INF/db/schema-40to410-cleanup.sql";
        final InputStream script = Thread.currentThread().getContextClassLoader().getResourceAsStream(scriptFile);
        return new InputStream[]{script};
    }
    @Override
    public void performDataMigration(Connection conn) {
        addWidgetOwner(conn);
    }

    private void addWidgetOwner(Connection conn) {
        // a data migration in Java
    }
}
