package io.pyhost.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.osgi.framework.Bundle;

import io.pyhost.api.ContextFactory;
import io.pyhost.api.PyContext;

/**
 * DESIGN.md "Plugin fragments" and semantic 5: a fragment appears when its bundle starts and
 * disappears when it stops or is uninstalled; either way only contexts created afterwards see
 * the change, and the preload version moves. An existing context keeps its namespace and keeps
 * working, also when the plugin that defined one of its functions (and shipped the package that
 * function uses) is gone.
 */
@RunWith(PaxExam.class)
public class PluginLifecycleIT extends PluginTestSupport {

    /**
     * A plugin whose fragment defines {@code shout()} on top of a package it ships on
     * Python-Path; the package's name is unique, so worker contexts (one shared sys.modules)
     * of one mode never find another mode's copy.
     */
    private static PluginJar shoutPlugin(String pkg) {
        return plugin("io.pyhost.it.lifecycle.shout", "1.0.0")
                .path("python/lib")
                .preload("python/shout.py;order=10")
                .entry("python/lib/" + pkg + "/__init__.py", "def loud(text):\n    return text.upper() + '!'\n")
                .entry("python/shout.py", "import " + pkg + "\n"
                        + "PLUGIN_MARK = 'shout plugin was here'\n"
                        + "def shout(text):\n"
                        + "    return " + pkg + ".loud(text)\n");
    }

    @Test
    public void startingAPluginReachesOnlyNewContextsAndStoppingItLeavesExistingContextsWorking() {
        forEachPluginMode(mode -> {
            String pkg = uniqueModuleName("shout");
            PyContext before = create(mode);
            long v0 = preload.version();

            Bundle plugin = start(shoutPlugin(pkg));
            String origin = origin(plugin, "python/shout.py");
            long v1 = preload.version();
            assertNotEquals("[" + mode + "] starting a plugin makes a new preload version", v0, v1);
            assertEquals(List.of(origin), origins());

            assertEquals("[" + mode + "] a context created before the plugin started does not see its fragment",
                    false, before.eval("'shout' in globals() or 'PLUGIN_MARK' in globals()"));
            PyContext during = create(mode);
            assertEquals("shout plugin was here", during.eval("PLUGIN_MARK"));
            assertEquals("HELLO!", during.eval("shout('hello')"));
            Path extracted = Path.of((String) during.eval(pkg + ".__file__")).getParent();
            assertTrue(extracted + " was extracted", Files.isDirectory(extracted));

            plugin.stop();
            long v2 = preload.version();
            assertNotEquals("[" + mode + "] stopping a plugin makes a new preload version", v1, v2);
            assertEquals("[" + mode + "] a stopped plugin contributes nothing", List.of(), origins());
            assertFalse("[" + mode + "] the stopped plugin's extracted package is deleted: " + extracted, Files.exists(extracted));

            try (PyContext after = create(mode)) {
                assertEquals("[" + mode + "] a context created after the plugin stopped does not see its fragment",
                        false, after.eval("'shout' in globals() or 'PLUGIN_MARK' in globals()"));
            }
            assertEquals("[" + mode + "] the existing context keeps the function the stopped plugin defined",
                    "STILL HERE!", during.eval("shout('still here')"));
            assertEquals("and can call it by name", "CALLED!", during.call(null, "shout", List.of("called"), Map.of()));
            assertEquals("shout plugin was here", during.eval("PLUGIN_MARK"));

            plugin.start();
            assertNotEquals("[" + mode + "] restarting a plugin makes a new preload version", v2, preload.version());
            assertEquals("[" + mode + "] a restarted plugin contributes again", List.of(origin), origins());
            try (PyContext restarted = create(mode)) {
                assertEquals("AGAIN!", restarted.eval("shout('again')"));
            }

            long v3 = preload.version();
            plugin.uninstall();
            assertNotEquals("[" + mode + "] uninstalling a plugin makes a new preload version", v3, preload.version());
            assertEquals(List.of(), origins());
            try (PyContext after = create(mode)) {
                assertEquals("[" + mode + "] a context created after the plugin was uninstalled does not see its fragment",
                        false, after.eval("'shout' in globals()"));
            }
            assertEquals("[" + mode + "] the existing context still works after the plugin was uninstalled",
                    "GONE BUT WORKING!", during.eval("shout('gone but working')"));
            assertEquals("[" + mode + "] and the oldest context still never saw it",
                    false, before.eval("'shout' in globals()"));
            if (mode.equals(ContextFactory.WORKER)) {
                forgetWorkerModules(pkg);
            }
        });
    }

    @Test
    public void aPluginInstalledButNotStartedContributesNothing() throws Exception {
        Bundle plugin = install(plugin("io.pyhost.it.lifecycle.idle", "1.0.0").preload("idle.py").entry("idle.py", appendRun("idle")));
        long version = preload.version();
        assertEquals("bundle is only installed (or resolved)", true, (plugin.getState() & (Bundle.INSTALLED | Bundle.RESOLVED)) != 0);
        assertEquals(List.of(), origins());
        assertEquals("an installed bundle does not change the preload", version, preload.version());
        forEachMode(mode -> {
            try (PyContext ctx = create(mode)) {
                assertEquals(List.of(), run(ctx));
            }
        });
        plugin.start();
        assertEquals(List.of(origin(plugin, "idle.py")), origins());
        forEachMode(mode -> {
            try (PyContext ctx = create(mode)) {
                assertEquals(List.of("idle"), run(ctx));
            }
        });
    }

    @Test
    public void updatingAPluginBundleReplacesItsFragmentForNewContextsOnly() throws Exception {
        Bundle plugin = start(plugin("io.pyhost.it.lifecycle.updated", "1.0.0").preload("v.py").entry("v.py", "PLUGIN_VERSION = 1\n"));
        Map<String, PyContext> old = new LinkedHashMap<>();
        for (String mode : modes()) {
            old.put(mode, create(mode));
            assertEquals(1L, old.get(mode).eval("PLUGIN_VERSION"));
        }
        plugin.update(new ByteArrayInputStream(
                plugin("io.pyhost.it.lifecycle.updated", "2.0.0").preload("v.py").entry("v.py", "PLUGIN_VERSION = 2\n").bytes()));
        assertEquals("the updated bundle is active again", Bundle.ACTIVE, plugin.getState());
        assertEquals("the fragment's origin names the new version", List.of("io.pyhost.it.lifecycle.updated/2.0.0!v.py"), origins());
        old.forEach((mode, ctx) -> assertEquals("[" + mode + "] a context made before the update keeps what it had",
                1L, ctx.eval("PLUGIN_VERSION")));
        forEachMode(mode -> {
            try (PyContext ctx = create(mode)) {
                assertEquals("[" + mode + "] new contexts see the updated fragment", 2L, ctx.eval("PLUGIN_VERSION"));
            }
        });
    }
}
