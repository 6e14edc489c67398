// Hand-written test fixture.
package com.cloud.upgrade.dao;

import java.io.InputStream;
import java.sql.Connection;

public class Upgrade440to441 extends DbUpgradeAbstractImpl {
    @Override
    public String[] getUpgradableVersionRange() {
        return new String[] {"4.4.0", "4.4.1"};
    }

    @Override
    public String getUpgradedVersion() {
        return "4.4.1";
    }
    @Override
    public InputStream[] getPrepareScripts() {
        final String scriptFile = "META-INF/db/schema-440to441.sql";
        final InputStream script = Thread.currentThread().getContextClassLoader().getResourceAsStream(scriptFile);
        return new InputStream[] {script};
    }
    @Override
    public InputStream[] getCleanupScripts() {
        return null;
    }

}
