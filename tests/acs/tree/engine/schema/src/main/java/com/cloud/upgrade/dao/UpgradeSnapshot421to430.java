// Hand-written test fixture.
package com.cloud.upgrade.dao;

import java.io.InputStream;
import java.sql.Connection;

public class UpgradeSnapshot421to430 extends DbUpgradeAbstractImpl {
    @Override
    public String[] getUpgradableVersionRange() {
        return new String[] {"4.2.1", "4.3.0"};
    }

    @Override
    public String getUpgradedVersion() {
        return "4.3.0";
    }
    @Override
    public InputStream[] getPrepareScripts() {
        final String scriptFile = "META-INF/db/schema-snapshot-421to430.sql";
        final InputStream script = Thread.currentThread().getContextClassLoader().getResourceAsStream(scriptFile);
        return new InputStream[] {script};
    }
    @Override
    public InputStream[] getCleanupScripts() {
        return null;
    }

}
