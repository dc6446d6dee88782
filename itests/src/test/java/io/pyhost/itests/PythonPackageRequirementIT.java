package io.pyhost.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.List;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleException;

import io.pyhost.api.ContextFactory;
import io.pyhost.api.PyContext;
import io.pyhost.api.PyException;
import io.pyhost.spi.PythonPackage;

/**
 * DESIGN.md "Packages and buffers": a plugin requiring {@code python.package} numpy is refused
 * by the framework while no bundle provides it (the resolver's message names the requirement),
 * resolves once io.pyhost.package.numpy is there, and gets its directory on {@code sys.path}
 * after numpy's, although it was installed first (a lower bundle id would otherwise put it first).
 * This framework starts without the numpy bundle; the test installs it.
 */
@RunWith(PaxExam.class)
public class PythonPackageRequirementIT extends PluginTestSupport {
    static final String NUMPY_REQUIREMENT = "python.package;filter:=\"(python.package=numpy)\"";

    @Test
    public void aPluginRequiringAnAbsentPackageIsRefusedAndResolvesOnceThePackageBundleIsThere() throws Exception {
        assertEquals("no python.package service before the numpy bundle comes", null,
                bundleContext.getServiceReference(PythonPackage.class));
        String module = uniqueModuleName("needs_numpy");
        Bundle plugin = install(plugin("io.pyhost.it.needs.numpy", "1.0.0")
                .header("Require-Capability", EXTENDER_REQUIREMENT + "," + NUMPY_REQUIREMENT)
                .path("python/lib")
                .entry("python/lib/" + module + "/__init__.py", "import numpy\n\ndef total(n):\n    return int(numpy.arange(n).sum())\n"));

        BundleException refused = assertThrows(BundleException.class, plugin::start);
        assertTrue(refused.getMessage(), refused.getMessage().contains("python.package") && refused.getMessage().contains("(python.package=numpy)"));
        assertEquals(Bundle.INSTALLED, plugin.getState());

        Bundle numpy = installExample("pyhost-package-numpy");
        numpy.start();
        PythonPackage pkg = service(PythonPackage.class);
        String numpyDir = pkg.paths().get(0).toString();
        plugin.start();
        assertEquals(Bundle.ACTIVE, plugin.getState());
        assertTrue("the plugin was installed first", plugin.getBundleId() < numpy.getBundleId());

        String pluginDir = preload.paths().stream().filter(p -> p.endsWith("/" + plugin.getBundleId() + "/python/lib")).findFirst()
                .orElseThrow(() -> new AssertionError("no path of the plugin in " + preload.paths()));
        List<String> paths = preload.paths();
        assertTrue("numpy's directory comes before the plugin's that requires it: " + paths,
                paths.indexOf(numpyDir) < paths.indexOf(pluginDir));

        for (String mode : modes()) {
            try (PyContext ctx = factory.create(mode)) {
                ctx.exec("import sys");
                assertEquals("[" + mode + "] sys.path has numpy's directory before the plugin's", true,
                        ctx.eval("sys.path.index(n) < sys.path.index(p)", java.util.Map.of("n", numpyDir, "p", pluginDir)));
                if (mode.equals(ContextFactory.WORKER) || mode.equals(ContextFactory.PROCESS)) { // numpy's main interpreters
                    assertEquals("[" + mode + "]", 6L, ctx.eval("__import__('" + module + "').total(4)"));
                } else {
                    PyException e = assertThrows(PyException.class, () -> ctx.exec("import " + module));
                    assertEquals("[" + mode + "] " + e.pythonMessage(), "ImportError", e.pythonType());
                    assertTrue("[" + mode + "] " + e.pythonMessage(), e.pythonMessage().startsWith(NumpyPackageIT.WORKER_ONLY));
                }
            }
        }
    }

    @Test
    public void aPluginRequiringAPackageNobodyProvidesStaysUnresolved() throws Exception {
        Bundle plugin = install(plugin("io.pyhost.it.needs.scipy", "1.0.0")
                .header("Require-Capability", EXTENDER_REQUIREMENT + ",python.package;filter:=\"(python.package=scipy)\""));
        BundleException refused = assertThrows(BundleException.class, plugin::start);
        assertTrue(refused.getMessage(), refused.getMessage().contains("(python.package=scipy)"));
        assertEquals(Bundle.INSTALLED, plugin.getState());
    }
}
