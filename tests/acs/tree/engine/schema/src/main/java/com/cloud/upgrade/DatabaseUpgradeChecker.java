// Hand-written test fixture: the shape of CloudStack's checker, not its code.
package com.cloud.upgrade;

import com.cloud.upgrade.dao.*;

public class DatabaseUpgradeChecker {
    private final DatabaseVersionHierarchy hierarchy;

    public DatabaseUpgradeChecker() {
        hierarchy = DatabaseVersionHierarchy.builder()
                // .next("3.0.0", new Upgrade30to40())   commented out: must be ignored
                .next("4.0.0"   , new Upgrade40to41())
                .next("4.0.1"   , new Upgrade40to41())
                .next("4.1.0"   , new Upgrade410to420())
                .next("4.2.0"   , new Upgrade420to421())
                .next("4.2.1"   , new Upgrade421to430())
                .next("4.2.1.1" , new UpgradeSnapshot421to430())
                .next("4.3.0"   , new Upgrade430to440())
                .next("4.3.1"   , new Upgrade430to440())
                .next("4.3.2"   , new Upgrade430to440())
                .next("4.4.0"   , new Upgrade440to441())
                .next("4.4.1"   , new Upgrade441to450())
                .next("4.5.0"   , new Upgrade450to42100())
                .next("4.21.0.0", new Upgrade42100to42200())
                .build();
    }
}
