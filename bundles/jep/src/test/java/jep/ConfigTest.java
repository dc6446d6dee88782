package jep;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;

import org.junit.Test;

/** Jep's configuration classes and arrays, as pyhost-jep maps or refuses them (no Python needed). */
public class ConfigTest {

    @Test
    public void legacyOptionsAreSubinterpIsolatedAreOwngilOthersRefused() {
        assertEquals("subinterp", SubInterpreterOptions.legacy().mode());
        assertEquals("owngil", SubInterpreterOptions.isolated().mode());
        JepException e = assertThrows(JepException.class, () -> SubInterpreterOptions.legacy().setAllowFork(false).mode());
        assertTrue(e.getMessage(), e.getMessage().contains("allowFork=0"));
        assertThrows(JepException.class, () -> SubInterpreterOptions.isolated().setOwnGIL(false).mode());
        assertEquals("subinterp", SubInterpreterOptions.isolated().setOwnGIL(false).setUseMainObmalloc(true).setAllowFork(true)
                .setAllowExec(true).setAllowDaemonThreads(true).setCheckMultiInterpeExtensions(false).mode());
    }

    @Test
    public void pyConfigRefusesStartUpFlagsAndAcceptsBytecodeFlag() {
        assertEquals(List.of(), new PyConfig().refused());
        assertEquals(List.of(), new PyConfig().setDontWriteBytecodeFlag(1).refused());
        List<String> refused = new PyConfig().setNoSiteFlag(1).setPythonHome("/opt/python").refused();
        assertEquals(2, refused.size());
        assertTrue(refused.toString(), refused.get(1).contains("io.pyhost.python"));
    }

    @Test
    public void includePathsJoinWithThePathSeparator() {
        JepConfig c = new JepConfig().addIncludePaths("a", "b").addIncludePaths("c");
        assertEquals(String.join(java.io.File.pathSeparator, "a", "b", "c"), c.includePath.toString());
        assertThrows(JepException.class, () -> new JepConfig().addIncludePaths((String) null));
    }

    @Test
    public void ndarrayValidatesItsDataAndDimensions() {
        NDArray<int[]> a = new NDArray<>(new int[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertArrayEquals(new int[] {2, 3}, a.getDimensions());
        assertEquals(new NDArray<>(new int[] {1, 2, 3, 4, 5, 6}, 2, 3), a);
        assertEquals(new NDArray<>(new int[] {1, 2, 3, 4, 5, 6}, 2, 3).hashCode(), a.hashCode());
        assertNotEquals(new NDArray<>(new int[] {1, 2, 3, 4, 5, 6}, 3, 2), a);
        assertNotEquals(new NDArray<>(new int[] {1, 2, 3, 4, 5, 6}, true, 2, 3), a);
        assertArrayEquals(new int[] {4}, new NDArray<>(new double[4]).getDimensions());
        assertThrows(IllegalArgumentException.class, () -> new NDArray<>(new float[200], 15, 20));
        assertThrows(IllegalArgumentException.class, () -> new NDArray<>(new float[15][], 15, 20));
        assertThrows(IllegalArgumentException.class, () -> new NDArray<>("not an array"));
        assertThrows(IllegalArgumentException.class, () -> new NDArray<>(new char[2]));
        // dimensions whose product overflows a long (2^64 wraps to 0) never pass as an empty array's
        IllegalArgumentException huge = assertThrows(IllegalArgumentException.class, () -> new NDArray<>(new int[0], 65536, 65536, 65536, 65536));
        assertTrue(huge.getMessage(), huge.getMessage().contains("[65536, 65536, 65536, 65536]"));
        assertThrows(IllegalArgumentException.class, () -> new DirectNDArray<>(ByteBuffer.allocateDirect(0), 65536, 65536, 65536, 65536));
        assertArrayEquals(new int[] {0, 65536, 65536, 65536, 65536}, new NDArray<>(new int[0], 0, 65536, 65536, 65536, 65536).getDimensions());
    }

    @Test
    public void directNdarrayNeedsADirectBuffer() {
        DirectNDArray<ByteBuffer> d = new DirectNDArray<>(ByteBuffer.allocateDirect(8), true, 2, 4);
        assertTrue(d.isUnsigned());
        assertThrows(IllegalArgumentException.class, () -> new DirectNDArray<>(ByteBuffer.allocate(8)));
        assertThrows(IllegalArgumentException.class, () -> new DirectNDArray<>(ByteBuffer.allocateDirect(8), 3));
    }

    @Test
    public void namingConventionEnquirerAnswersByTopLevelName() {
        NamingConventionClassEnquirer e = new NamingConventionClassEnquirer();
        assertTrue(e.isJavaPackage("java.util"));
        assertTrue(e.isJavaPackage("org"));
        assertFalse(e.isJavaPackage("numpy"));
        NamingConventionClassEnquirer only = new NamingConventionClassEnquirer(false).addTopLevelPackageName("acme");
        assertTrue(only.isJavaPackage("acme.tools"));
        assertFalse(only.isJavaPackage("java.util"));
        assertFalse(new AllowPythonClassEnquirer(e, "org.python").isJavaPackage("org.python.core"));
        assertTrue(new AllowPythonClassEnquirer(e, "org.python").isJavaPackage("org.osgi"));
    }

    @Test
    public void classListIsRefusedWithAReason() {
        JepException e = assertThrows(JepException.class, ClassList::getInstance);
        assertTrue(e.getMessage(), e.getMessage().contains("OSGi"));
    }
}
