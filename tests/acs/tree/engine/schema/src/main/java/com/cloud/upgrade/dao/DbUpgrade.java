// Hand-written test fixture.
package com.cloud.upgrade.dao;

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
