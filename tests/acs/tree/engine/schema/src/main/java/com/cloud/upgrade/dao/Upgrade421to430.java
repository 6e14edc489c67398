// Hand-written test fixture.
package com.cloud.upgrade.dao;

import java.io.InputStream;
import java.sql.Connection;

public class Upgrade421to430 extends Upgrade420to430 {

    public String[] getUpgradableVersionRange() {
        return new String[] {"4.2.1", "4.3.0"};
    }





}
