// Hand-written test fixture.
package com.cloud.upgrade.dao;

import java.io.InputStream;
import java.sql.Connection;

public class Upgrade410to420 extends DbUpgradeAbstractImpl {
    @Override
    public String[] getUpgradableVersionRange() {
        return new String[] {"4.1.0", "4.2.0"};
    }

    @Override
    public String getUpgradedVersion() {
        return "4.2.0";
    }
    private static final String DATA = "META-INF/db/data-410to420.sql";

    @Override
    public InputStream[] getPrepareScripts() {
        final String scriptFile = "META-INF/db/schema-410to420.sql";
        final InputStream script = Thread.currentThread().getContextClassLoader().getResourceAsStream(scriptFile);
        final InputStream data = Thread.currentThread().getContextClassLoader().getResourceAsStream(DATA);
        return new InputStream[] {script, data};
    }
    @Override
    public InputStream[] getCleanupScripts() {
        return null;
    }

}
