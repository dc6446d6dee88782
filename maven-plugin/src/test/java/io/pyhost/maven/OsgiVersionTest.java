package io.pyhost.maven;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.Test;

public class OsgiVersionTest {

    @Test
    public void pep440VersionsBecomeOsgiVersions() {
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("2.4.2", "2.4.2");
        cases.put("1", "1.0.0");
        cases.put("2024.1", "2024.1.0");
        cases.put("1.2.3.4", "1.2.3.4");
        cases.put("1.2.3.4.5", "1.2.3.4_5");
        cases.put("2.0rc1", "2.0.0.rc1");
        cases.put("2.0-RC.1", "2.0.0.rc1");
        cases.put("2.0c1", "2.0.0.rc1");
        cases.put("2.0.0preview2", "2.0.0.rc2");
        cases.put("1.0a", "1.0.0.a0");
        cases.put("1.0alpha3", "1.0.0.a3");
        cases.put("1.0.0b2", "1.0.0.b2");
        cases.put("1.0.post2", "1.0.0.post2");
        cases.put("1.0-2", "1.0.0.post2");
        cases.put("1.0.rev", "1.0.0.post0");
        cases.put("1.3.dev0", "1.3.0.dev0");
        cases.put("1.3dev", "1.3.0.dev0");
        cases.put("1.0.0.4rc1.post2.dev3", "1.0.0.4-rc1-post2-dev3");
        cases.put("1.0+ubuntu.1", "1.0.0.local_ubuntu_1");
        cases.put("1.0+Abc-x_y", "1.0.0.local_abc_x_y");
        cases.put("1!2.0", "2.0.0.epoch1");
        cases.put("0!2.0", "2.0.0");
        cases.put("v1.01.002", "1.1.2");
        cases.put("  3.0  ", "3.0.0");
        cases.forEach((pep440, osgi) -> assertEquals(pep440, osgi, OsgiVersion.fromPep440(pep440)));
    }

    @Test
    public void everyResultIsAValidOsgiVersion() {
        for (String pep440 : new String[] {"1.0.0.4rc1.post2.dev3", "1.0+ubuntu.1", "1!2.0rc1", "1.2.3.4.5"}) {
            String osgi = OsgiVersion.fromPep440(pep440);
            assertTrue(pep440 + " -> " + osgi, osgi.matches("\\d+\\.\\d+\\.\\d+(\\.[A-Za-z0-9_-]+)?"));
        }
    }

    @Test
    public void notPep440IsRefusedNamingTheVersion() {
        for (String bad : new String[] {"", "abc", "1.0-SNAPSHOT", "1..0", "1.0+", "1.0 rc1 x"}) {
            IllegalArgumentException e = assertThrows(bad, IllegalArgumentException.class, () -> OsgiVersion.fromPep440(bad));
            assertEquals("'" + bad + "' is not a PEP 440 version", e.getMessage());
        }
    }

    @Test
    public void aReleaseNumberBeyondIntIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OsgiVersion.fromPep440("1.99999999999"));
        assertTrue(e.getMessage(), e.getMessage().contains("99999999999") && e.getMessage().contains("does not fit an OSGi version"));
    }
}
