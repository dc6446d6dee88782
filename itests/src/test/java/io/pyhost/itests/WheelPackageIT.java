package io.pyhost.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.After;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleException;
import org.osgi.framework.Version;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.resource.Capability;

import io.pyhost.api.PyContext;

/**
 * A package bundle made by pyhost-maven-plugin's python-bundle goal (bundles/examples/wheel: a
 * wheel zipped during the build, installed by the embedded CPython's pip, headers written by the
 * goal into bnd's manifest), as a user installs it: its package imports in every mode from the
 * extracted {@code Python-Path}, {@code importlib.metadata} finds its dist-info, and its
 * {@code python.package} capability is what a plugin's requirement resolves against.
 */
@RunWith(PaxExam.class)
public class WheelPackageIT extends PluginTestSupport {

    static final String WHEEL_BUNDLE = "pyhost-example-wheel";
    static final String PACKAGE = "pyhost_wheel_demo";
    static final String DISTRIBUTION = "pyhost-wheel-demo";

    @After
    public void forgetPackage() {
        uninstallInstalled();
        forgetWorkerModules(PACKAGE);
    }

    @Test
    public void thePackagedWheelImportsInEveryModeWithItsMetadata() {
        forEachPluginMode(mode -> {
            Bundle wheel = installExample(WHEEL_BUNDLE);
            wheel.start();

            List<Capability> packages = wheel.adapt(BundleRevision.class).getCapabilities("python.package");
            assertEquals("one python.package capability: " + packages, 1, packages.size());
            Map<String, Object> attributes = packages.get(0).getAttributes();
            assertEquals(DISTRIBUTION, attributes.get("python.package"));
            assertEquals("the version attribute is an OSGi Version", new Version(1, 0, 0), attributes.get("version"));
            assertEquals("python/site-packages", wheel.getHeaders("").get("Python-Path"));

            PyContext ctx = create(mode);
            assertEquals("Hello, OSGi, from a wheel", ctx.eval("__import__('" + PACKAGE + "').greet('OSGi')"));
            assertEquals("[" + mode + "] pip's dist-info came along", "1.0.0",
                    ctx.eval("__import__('importlib.metadata').metadata.version('" + DISTRIBUTION + "')"));
            long interpreter = (Long) ctx.eval("__import__('" + PACKAGE + "').interpreter()");
            // a process context's interpreter is the main one of its own CPython, in its own process
            boolean main = mode.equals("worker") || mode.equals("process");
            assertEquals("[" + mode + "] imported in the context's own interpreter", main, interpreter == 0);
            if (mode.equals("process")) {
                assertNotEquals("[process] imported in the child, not in this JVM", ProcessHandle.current().pid(),
                        ctx.eval("__import__('os').getpid()"));
            }
            Path site = Path.of((String) ctx.eval("__import__('" + PACKAGE + "').__file__")).getParent().getParent();
            assertEquals("[" + mode + "] from the extracted Python-Path directory", List.of(site.toString()), preload.paths());
            assertTrue(site + " ends with python/site-packages", site.endsWith(Path.of("python", "site-packages")));
            if (mode.equals("worker")) {
                forgetWorkerModules(PACKAGE);
            }
        });
    }

    @Test
    public void aPluginRequiringThePackageResolvesOnlyWhereItsBundleIs() throws Exception {
        PluginJar user = plugin("io.pyhost.it.wheel.user", "1.0.0")
                .header("Require-Capability", EXTENDER_REQUIREMENT + ", python.package;filter:=\"(python.package=" + DISTRIBUTION + ")\"")
                .preload("python/use.py")
                .entry("python/use.py", "import " + PACKAGE + "\nWHEEL_GREETING = " + PACKAGE + ".greet('plugin')\n");
        Bundle plugin = install(user);
        BundleException refused = assertThrows(BundleException.class, plugin::start);
        assertTrue("the resolver names the missing package: " + refused.getMessage(),
                refused.getMessage().contains("python.package") && refused.getMessage().contains(DISTRIBUTION));

        Bundle wheel = installExample(WHEEL_BUNDLE);
        wheel.start();
        plugin.start();
        assertEquals(Bundle.ACTIVE, plugin.getState());
        assertEquals("wired to the package bundle", wheel,
                plugin.adapt(org.osgi.framework.wiring.BundleWiring.class).getRequiredWires("python.package").get(0).getProvider().getBundle());
        try (PyContext ctx = create("worker")) {
            assertEquals("Hello, plugin, from a wheel", ctx.eval("WHEEL_GREETING"));
        }
    }
}
