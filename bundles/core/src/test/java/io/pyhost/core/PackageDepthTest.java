package io.pyhost.core;

import static org.junit.Assert.assertEquals;

import java.util.List;
import java.util.Map;

import org.junit.Test;

public class PackageDepthTest {

    private static int depth(String node, Map<String, List<String>> requires) {
        return PackageDepth.of(node, n -> requires.getOrDefault(n, List.of()));
    }

    @Test
    public void aBundleWithoutPackageRequirementsIsAtDepthZero() {
        assertEquals(0, depth("plain", Map.of()));
    }

    @Test
    public void aBundleSitsOneDeeperThanItsDeepestPackage() {
        Map<String, List<String>> requires = Map.of(
                "plugin", List.of("numpy", "scipy"),
                "scipy", List.of("numpy"));
        assertEquals(0, depth("numpy", requires));
        assertEquals(1, depth("scipy", requires));
        assertEquals(2, depth("plugin", requires));
    }

    @Test
    public void aCycleEndsInsteadOfRecursingForever() {
        Map<String, List<String>> requires = Map.of("a", List.of("b"), "b", List.of("a"), "c", List.of("a"));
        assertEquals(1, depth("a", requires));
        assertEquals(2, depth("c", requires));
    }
}
