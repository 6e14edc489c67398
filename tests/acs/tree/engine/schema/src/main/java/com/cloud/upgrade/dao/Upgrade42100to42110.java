// Hand-written test fixture.
package com.cloud.upgrade.dao;

import java.io.InputStream;
import java.sql.Connection;

public class Upgrade42100to42110 extends DbUpgradeAbstractImpl {
    @Override
    public String[] getUpgradableVersionRange() {
        return new String[] {"4.21.0.0", "4.21.1.0"};
    }

    @Override
    public String getUpgradedVersion() {
        return "4.21.1.0";
    }
    @Override
    public InputStream[] getPrepareScripts() {
        final String scriptFile = "META-INF/db/schema-42100to42110.sql";
        final InputStream script = Thread.currentThread().getContextClassLoader().getResourceAsStream(scriptFile);
        return new InputStream[] {script};
    }
    @Override
    public InputStream[] getCleanupScripts() {
        return null;
    }

}
