// Hand-written test fixture.
package com.cloud.upgrade.dao;

import java.io.InputStream;
import java.sql.Connection;

public class Upgrade441to450 extends DbUpgradeAbstractImpl {
    @Override
    public String[] getUpgradableVersionRange() {
        return new String[] {"4.4.1", "4.5.0"};
    }

    @Override
    public String getUpgradedVersion() {
        return "4.5.0";
    }
    @Override
    public InputStream[] getPrepareScripts() {
        final String scriptFile = "META-INF/db/schema-441to450.sql";
        final InputStream script = Thread.currentThread().getContextClassLoader().getResourceAsStream(scriptFile);
        return new InputStream[] {script};
    }
    @Override
    public InputStream[] getCleanupScripts() {
        final String scriptFile = "META-INF/db/schema-441to450-cleanup.sql";
        final InputStream script = Thread.currentThread().getContextClassLoader().getResourceAsStream(scriptFile);
        return new InputStream[]{script};
    }

}
