// Hand-written test fixture.
package com.cloud.upgrade.dao;

import java.io.InputStream;
import java.sql.Connection;

public class Upgrade420to421 extends DbUpgradeAbstractImpl {
    @Override
    public String[] getUpgradableVersionRange() {
        return new String[] {"4.2.0", "4.2.1"};
    }

    @Override
    public String getUpgradedVersion() {
        return "4.2.1";
    }
    @Override
    public InputStream[] getPrepareScripts() {
        return new InputStream[0];
    }
    @Override
    public InputStream[] getCleanupScripts() {
        return new InputStream[] {};
    }
    @Override
    public void performDataMigration(Connection conn) {
    }
}
