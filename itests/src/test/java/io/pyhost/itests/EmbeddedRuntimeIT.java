package io.pyhost.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.util.List;
import java.util.stream.Stream;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.osgi.framework.Bundle;

import io.pyhost.api.ContextFactory;
import io.pyhost.api.ContextOptions;
import io.pyhost.api.PreloadService;
import io.pyhost.api.PyContext;
import io.pyhost.spi.PythonDistribution;

/**
 * The ground the other tests stand on: this JVM denies illegal native access (so no restricted
 * FFM call slips through without {@code --enable-native-access}), the CPython running is the
 * embedded 3.14.3 that io.pyhost.python publishes, and a restarted core bundle finds CPython
 * initialized and reuses it.
 */
@RunWith(PaxExam.class)
public class EmbeddedRuntimeIT extends PyhostTestSupport {

    @Test
    public void theJvmDeniesIllegalNativeAccessAndEnablesItForBundles() {
        List<String> arguments = ManagementFactory.getRuntimeMXBean().getInputArguments();
        assertTrue("JVM arguments: " + arguments, arguments.contains("--illegal-native-access=deny"));
        assertTrue("JVM arguments: " + arguments, arguments.contains("--enable-native-access=ALL-UNNAMED"));
    }

    @Test
    public void theRunningPythonIsTheEmbeddedCPython3143() {
        PythonDistribution distribution = service(PythonDistribution.class);
        assertEquals(PythonDistribution.SOURCE_EMBEDDED, distribution.source());
        assertEquals("3.14.3", distribution.version());
        assertTrue(distribution.library() + " exists", Files.isRegularFile(distribution.library()));
        try (PyContext ctx = create(ContextFactory.WORKER)) {
            assertEquals(distribution.version(), ctx.eval("__import__('platform').python_version()"));
            assertEquals(distribution.home().toRealPath().toString(), ctx.eval("__import__('os').path.realpath(__import__('sys').base_prefix)"));
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    public void aRestartedCoreBundleFindsCPythonInitializedAndReusesIt() throws Exception {
        String marker = uniqueModuleName("marker");
        try (PyContext ctx = create(ContextFactory.WORKER)) {
            ctx.exec("import sys\nsetattr(sys, " + pyString(marker) + ", 'set before the restart')");
        }

        Bundle core = Stream.of(bundleContext.getBundles()).filter(b -> "io.pyhost.core".equals(b.getSymbolicName()))
                .findFirst().orElseThrow();
        ContextFactory before = factory;
        core.stop();
        core.start();

        factory = service(ContextFactory.class);
        preload = service(PreloadService.class);
        assertTrue("a new ContextFactory after the restart", factory != before);
        try (PyContext ctx = create(ContextOptions.mode(ContextFactory.WORKER).withModeWait(WAIT))) {
            assertEquals("the same CPython runtime: what the main interpreter held survived",
                    "set before the restart", ctx.eval("getattr(__import__('sys'), " + pyString(marker) + ")"));
            assertNotNull(ctx.eval("1 + 1"));
        }
    }
}
