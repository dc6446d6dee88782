package io.pyhost.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.After;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.osgi.framework.Bundle;

import io.pyhost.api.ContextFactory;
import io.pyhost.api.ContextOptions;
import io.pyhost.api.PyContext;
import io.pyhost.api.PyException;

/**
 * The two example plugin bundles of {@code bundles/examples}, as a user installs them:
 * io.pyhost.examples.textkit ships the {@code textkit} package on {@code Python-Path}, imports
 * {@code unicodedata} through {@code Python-Import} and defines {@code slug()} and
 * {@code keywords()} in a fragment at order 100; io.pyhost.examples.settings has only settings,
 * defaults at order 50 and overrides at order 150. In every mode: the package imports; it is
 * gone for new contexts once its bundle is uninstalled, and its extracted files are deleted;
 * the order of the fragments decides which setting wins.
 */
@RunWith(PaxExam.class)
public class ExamplePluginsIT extends PluginTestSupport {

    static final String TEXTKIT = "pyhost-example-textkit";
    static final String SETTINGS = "pyhost-example-settings";

    static final String TITLE = "The Quick Brown Fox Jumps Over the Lazy Dog";
    static final String TEXT = "The fox is in the den; the fox is for the fox.";

    /** Worker contexts share sys.modules: forget textkit, so the next test imports it from where its bundle is extracted then. */
    @After
    public void forgetTextkit() {
        uninstallInstalled();
        forgetWorkerModules("textkit");
    }

    @Test
    public void theTextkitPackageImportsInEveryModeAndIsGoneForNewContextsOnceItsBundleIsUninstalled() {
        forEachPluginMode(mode -> {
            Bundle textkit = installExample(TEXTKIT);
            textkit.start();
            assertEquals(List.of(origin(textkit, "python/preload.py")), origins());
            assertEquals(List.of("unicodedata"), preload.imports());

            PyContext ctx = create(mode);
            assertEquals("creme-brulee-fur-2", ctx.eval("textkit.slugify('Crème Brûlée, für 2!')"));
            assertEquals(Map.of("the", 4L, "fox", 3L, "den", 1L), ctx.eval("textkit.word_counts(" + pyString(TEXT) + ", ['is', 'in', 'for'])"));
            assertEquals("the fragment's helper", "the-quick-brown-fox-jumps-over-the-lazy-dog", ctx.eval("slug(" + pyString(TITLE) + ")"));
            assertEquals("Python-Import bound its module", "LATIN SMALL LETTER E WITH ACUTE", ctx.eval("unicodedata.name('é')"));

            Path entry = Path.of((String) ctx.eval("textkit.__file__")).getParent().getParent();
            assertEquals("[" + mode + "] the package comes from the extracted Python-Path directory",
                    List.of(entry.toString()), preload.paths());
            assertEquals("[" + mode + "] that directory is on sys.path", true,
                    ctx.eval("" + pyString(entry.toString()) + " in __import__('sys').path"));
            assertTrue("[" + mode + "] the package's modules were extracted under " + entry,
                    Files.isRegularFile(entry.resolve("textkit/slug.py")) && Files.isRegularFile(entry.resolve("textkit/words.py")));

            textkit.uninstall();
            assertFalse("[" + mode + "] the extracted files are deleted with the bundle: " + entry, Files.exists(entry));
            assertEquals(List.of(), preload.paths());
            assertEquals(List.of(), preload.imports());
            assertEquals(List.of(), origins());

            try (PyContext fresh = create(mode)) {
                assertEquals("[" + mode + "] the directory left sys.path", false,
                        fresh.eval(pyString(entry.toString()) + " in __import__('sys').path"));
                assertEquals("[" + mode + "] the fragment's helpers and the import's name are gone", false,
                        fresh.eval("'slug' in globals() or 'textkit' in globals() or 'unicodedata' in globals()"));
                if (mode.equals(ContextFactory.WORKER)) {
                    // one sys.modules for every worker context: the module object stays cached there,
                    // but no sys.path entry can find the package any more
                    assertEquals("[worker] textkit is not found on sys.path", true,
                            fresh.eval("__import__('importlib.machinery').machinery.PathFinder.find_spec('textkit') is None"));
                } else {
                    PyException error = assertThrows(PyException.class, () -> fresh.exec("import textkit"));
                    assertEquals("[" + mode + "] " + error.getMessage(), "ModuleNotFoundError", error.pythonType());
                }
            }
            assertEquals("[" + mode + "] the context made while textkit was there keeps working",
                    "still-here", ctx.eval("slug('Still here!')"));
            assertEquals(List.of("fox", "den"), ctx.eval("textkit.top_words(" + pyString(TEXT) + ", 2, ['the', 'is', 'in', 'for'])"));
        });
    }

    @Test
    public void settingsAtOrders50And150AroundTextkitAt100DecideWhatWinsWhateverTheInstallOrder() throws Exception {
        for (List<String> installOrder : List.of(List.of(SETTINGS, TEXTKIT), List.of(TEXTKIT, SETTINGS))) {
            Bundle settings = null;
            Bundle textkit = null;
            for (String artifact : installOrder) {
                Bundle b = installExample(artifact);
                b.start();
                if (artifact.equals(SETTINGS)) {
                    settings = b;
                } else {
                    textkit = b;
                }
            }
            assertEquals("installed as " + installOrder, List.of(origin(settings, "python/defaults.py"),
                    origin(textkit, "python/preload.py"), origin(settings, "python/overrides.py")), origins());

            Bundle settingsBundle = settings;
            forEachMode(mode -> {
                PyContext withSettings = create(mode);
                assertEquals("[" + mode + "] the overrides (150) ran after the defaults (50)",
                        List.of("defaults", "overrides"), withSettings.eval("SETTINGS_APPLIED"));
                assertEquals("pyhost example site", withSettings.eval("SITE_NAME"));
                assertEquals("[" + mode + "] textkit's helper (100) reads the overridden max length (24)",
                        "the-quick-brown-fox", withSettings.eval("slug(" + pyString(TITLE) + ")"));
                assertEquals("[" + mode + "] ... and the defaults' stop words plus the overrides' ones",
                        List.of("fox", "den"), withSettings.eval("keywords(" + pyString(TEXT) + ", 2)"));

                try (PyContext ownSeparator = create(ContextOptions.mode(mode).withPreload("TEXT_SETTINGS['slug_separator'] = '_'"))) {
                    assertEquals("[" + mode + "] ContextOptions.preload runs after every fragment",
                            "the_quick_brown_fox", ownSeparator.eval("slug(" + pyString(TITLE) + ")"));
                }
                assertEquals("[" + mode + "] ... and only for its own context",
                        "the-quick-brown-fox", withSettings.eval("slug(" + pyString(TITLE) + ")"));

                settingsBundle.stop();
                try {
                    try (PyContext textkitAlone = create(mode)) {
                        assertEquals("[" + mode + "] without settings the helper uses its own defaults",
                                "the-quick-brown-fox-jumps-over-the-lazy-dog", textkitAlone.eval("slug(" + pyString(TITLE) + ")"));
                        assertEquals(List.of("the", "fox", "is"), textkitAlone.eval("keywords(" + pyString(TEXT) + ")"));
                        assertEquals(false, textkitAlone.eval("'TEXT_SETTINGS' in globals() or 'SITE_NAME' in globals()"));
                    }
                    assertEquals("[" + mode + "] the context made with the settings keeps them",
                            "the-quick-brown-fox", withSettings.eval("slug(" + pyString(TITLE) + ")"));
                } finally {
                    settingsBundle.start();
                }
            });
            uninstallInstalled();
            forgetWorkerModules("textkit");
        }
    }

    @Test
    public void theExampleBundlesDeclareTheirHeadersAndRequireTheExtender() throws Exception {
        Bundle textkit = installExample(TEXTKIT);
        Bundle settings = installExample(SETTINGS);
        assertEquals("io.pyhost.examples.textkit", textkit.getSymbolicName());
        assertEquals("io.pyhost.examples.settings", settings.getSymbolicName());
        assertEquals("python/lib", textkit.getHeaders().get("Python-Path"));
        assertEquals("unicodedata", textkit.getHeaders().get("Python-Import"));
        assertEquals("python/preload.py;order=100", textkit.getHeaders().get("Python-Preload"));
        assertEquals("python/defaults.py;order=50, python/overrides.py;order=150", settings.getHeaders().get("Python-Preload"));
        for (Bundle b : List.of(textkit, settings)) {
            String requirement = b.getHeaders().get("Require-Capability");
            assertTrue(b.getSymbolicName() + " requires the extender: " + requirement,
                    requirement != null && requirement.contains("osgi.extender") && requirement.contains("(osgi.extender=io.pyhost.preload)"));
            b.start();
            assertEquals(b.getSymbolicName() + " resolves against core's extender capability and starts", Bundle.ACTIVE, b.getState());
        }
    }
}
