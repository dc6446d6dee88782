package io.pyhost.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.osgi.framework.Bundle;

import io.pyhost.api.PyContext;
import io.pyhost.api.PyException;

/**
 * What goes wrong in plugin bundles stays with them. A fragment that raises fails the creation
 * of new contexts with a traceback naming the fragment's origin (bundle and entry) and the line
 * within the fragment; a function a fragment defined names them too when it raises later. A
 * malformed header, an invalid order, a missing entry, an entry that is not UTF-8 or holds a
 * NUL, a Python-Path that leaves the bundle or does not exist, a Python-Import that is not a
 * module name: each is logged, once, naming the bundle and the entry; the bundle still starts,
 * and the other bundles' fragments (and the bundle's own good entries) still apply in every
 * mode. A jar without directory entries is a valid plugin too.
 */
@RunWith(PaxExam.class)
public class PluginErrorsIT extends PluginTestSupport {

    @Test
    public void aFragmentThatRaisesFailsCreateWithATracebackNamingItsBundleEntryAndOwnLine() {
        forEachPluginMode(mode -> {
            start(plugin("io.pyhost.it.errors.fine", "1.0.0").preload("python/fine.py;order=1")
                    .entry("python/fine.py", "# padding, so that line numbers of the effective code\n# and of a fragment differ\nFINE = True\n"));
            Bundle boom = start(plugin("io.pyhost.it.errors.boom", "1.2.3").preload("python/boom.py;order=2").entry("python/boom.py", """
                    # a fragment that raises while it runs
                    LIMIT = 3
                    def check(value):
                        if value > LIMIT:
                            raise ValueError('value %d is over the limit' % value)
                    check(4)
                    """));
            String origin = origin(boom, "python/boom.py");
            assertEquals("io.pyhost.it.errors.boom/1.2.3!python/boom.py", origin);

            PyException error = assertThrows(PyException.class, () -> create(mode));
            assertEquals("ValueError", error.pythonType());
            assertEquals("value 4 is over the limit", error.pythonMessage());
            String tb = error.pythonTraceback();
            assertTrue("[" + mode + "] the traceback names the fragment and the line of the call in it:\n" + tb,
                    tb.contains("File \"" + origin + "\", line 6, in <module>"));
            assertTrue("[" + mode + "] ... and the line in the fragment's function that raised:\n" + tb,
                    tb.contains("File \"" + origin + "\", line 5, in check"));

            boom.uninstall();
            try (PyContext ctx = create(mode)) {
                assertEquals("[" + mode + "] without the failing plugin, contexts create and the other fragments apply",
                        true, ctx.eval("FINE"));
            }
        });
    }

    @Test
    public void aSyntaxErrorInAFragmentNamesItsBundleEntryAndOwnLine() {
        forEachPluginMode(mode -> {
            Bundle broken = start(plugin("io.pyhost.it.errors.syntax", "1.0.0").preload("python/broken.py").entry("python/broken.py",
                    "X = 1\n\ndef broken(:\n    return X\n"));
            PyException error = assertThrows(PyException.class, () -> create(mode));
            assertEquals("SyntaxError", error.pythonType());
            String tb = error.pythonTraceback();
            assertTrue("[" + mode + "] the traceback names the fragment and the line of the error in it:\n" + tb,
                    tb.contains("File \"" + origin(broken, "python/broken.py") + "\", line 3"));
        });
    }

    @Test
    public void aFunctionAFragmentDefinedNamesItsBundleEntryAndOwnLineWhenItRaisesLater() throws Exception {
        Bundle lazy = start(plugin("io.pyhost.it.errors.lazy", "2.0.0").preload("python/lazy.py;order=-1").entry("python/lazy.py", """
                import math

                def root(x):
                    return math.sqrt(x)
                """));
        String origin = origin(lazy, "python/lazy.py");
        forEachMode(mode -> {
            preload.setCode("APP = 'application code after the fragment moves no line numbers'\n");
            try (PyContext ctx = create(mode)) {
                assertEquals(3.0, ctx.eval("root(9)"));
                PyException error = assertThrows(PyException.class, () -> ctx.eval("root(-1)"));
                assertEquals("ValueError", error.pythonType());
                assertTrue("[" + mode + "] the traceback names the fragment and the function's line in it:\n" + error.pythonTraceback(),
                        error.pythonTraceback().contains("File \"" + origin + "\", line 4, in root"));
            }
        });
    }

    @Test
    public void badHeadersAndEntriesAreLoggedWithBundleAndEntryAndNeverAffectOtherFragments() throws Exception {
        LogCapture log = captureLog(EXTENDER);
        start(plugin("io.pyhost.it.bad.good", "1.0.0").preload("good.py;order=3").entry("good.py", appendRun("good")));
        Bundle quote = start(plugin("io.pyhost.it.bad.quote", "1.0.0").preload("python/q.py;order=\"5")
                .entry("python/q.py", appendRun("unbalanced quote")));
        Bundle empty = start(plugin("io.pyhost.it.bad.empty", "1.0.0").preload("python/e.py;order=5,,")
                .entry("python/e.py", appendRun("empty clause")));
        Bundle order = start(plugin("io.pyhost.it.bad.order", "1.0.0").preload("python/soon.py;order=soon, python/later.py;order=4")
                .entry("python/soon.py", appendRun("order soon")).entry("python/later.py", appendRun("order 4")));
        Bundle missing = start(plugin("io.pyhost.it.bad.missing", "1.0.0").preload("python/missing.py;order=1, python/present.py;order=2")
                .entry("python/present.py", appendRun("present")));
        Bundle encoding = start(plugin("io.pyhost.it.bad.encoding", "1.0.0")
                .preload("python/latin1.py;order=1, python/nul.py;order=1, python/utf8.py;order=6")
                .entry("python/latin1.py", (appendRun("latin-1") + "# caf\u00e9\n").getBytes(StandardCharsets.ISO_8859_1))
                .entry("python/nul.py", appendRun("nul") + "X = '\0'\n")
                .entry("python/utf8.py", appendRun("utf-8 café")));
        Bundle path = start(plugin("io.pyhost.it.bad.path", "1.0.0")
                .path("../outside, python/nowhere")
                .imports("not-a-module, 1st, json")
                .preload("python/ok.py;order=7")
                .entry("python/ok.py", appendRun("path bundle fragment")));

        List<String> expectedRun = List.of("present", "good", "order 4", "utf-8 café", "path bundle fragment");
        assertEquals(List.of(origin(missing, "python/present.py"), "io.pyhost.it.bad.good/1.0.0!good.py", origin(order, "python/later.py"),
                origin(encoding, "python/utf8.py"), origin(path, "python/ok.py")), origins());
        assertEquals("only the valid Python-Import of the bundle applies", List.of("json"), preload.imports());
        assertEquals("no Python-Path applies", List.of(), preload.paths());
        for (Bundle b : List.of(quote, empty, order, missing, encoding, path)) {
            assertEquals(b.getSymbolicName() + " starts: its bad headers are not the framework's business", Bundle.ACTIVE, b.getState());
        }

        forEachMode(mode -> {
            try (PyContext ctx = create(mode)) {
                assertEquals("[" + mode + "] every good fragment ran, in order", expectedRun, run(ctx));
                assertEquals("[" + mode + "] the good import is bound", "json", ctx.eval("json.__name__"));
            }
        });

        List<String> warnings = log.messages(Level.WARNING);
        List<String> unexplained = new ArrayList<>();
        String[][] problems = {
                {"io.pyhost.it.bad.quote/1.0.0", "Python-Preload"},
                {"io.pyhost.it.bad.empty/1.0.0", "Python-Preload"},
                {"io.pyhost.it.bad.order/1.0.0", "python/soon.py"},
                {"io.pyhost.it.bad.missing/1.0.0", "python/missing.py"},
                {"io.pyhost.it.bad.encoding/1.0.0", "python/latin1.py"},
                {"io.pyhost.it.bad.encoding/1.0.0", "python/nul.py"},
                {"io.pyhost.it.bad.path/1.0.0", "../outside"},
                {"io.pyhost.it.bad.path/1.0.0", "python/nowhere"},
                {"io.pyhost.it.bad.path/1.0.0", "not-a-module"},
                {"io.pyhost.it.bad.path/1.0.0", "1st"}};
        for (String[] problem : problems) {
            if (warnings.stream().noneMatch(w -> w.contains(problem[0]) && w.contains(problem[1]))) {
                unexplained.add(problem[0] + " " + problem[1]);
            }
        }
        assertEquals("a warning naming bundle and entry for each problem; warnings logged:\n" + String.join("\n", warnings),
                List.of(), unexplained);
        assertTrue("no warning about the good bundle: " + warnings, warnings.stream().noneMatch(w -> w.contains("io.pyhost.it.bad.good")));
    }

    /**
     * "A clear log line": one per problem and start. A bundle whose headers yield nothing at all
     * is the case to watch: the extender's BundleTracker does not track it, so it is offered to
     * the extender again on the next event of the same start (STARTING, then STARTED).
     */
    @Test
    public void eachProblemIsLoggedOncePerStart() throws Exception {
        LogCapture log = captureLog(EXTENDER);
        start(plugin("io.pyhost.it.once.partly", "1.0.0").preload("python/missing.py, python/ok.py")
                .entry("python/ok.py", appendRun("ok")));
        start(plugin("io.pyhost.it.once.nothing", "1.0.0").preload("python/missing.py"));
        start(plugin("io.pyhost.it.once.malformed", "1.0.0").preload("python/q.py;order=\"5").entry("python/q.py", "Q = 1\n"));
        List<String> warnings = log.messages(Level.WARNING);
        Map<String, Long> counts = new LinkedHashMap<>();
        for (String bundle : List.of("io.pyhost.it.once.partly/1.0.0", "io.pyhost.it.once.nothing/1.0.0", "io.pyhost.it.once.malformed/1.0.0")) {
            counts.put(bundle, warnings.stream().filter(w -> w.contains(bundle)).count());
        }
        assertEquals("warnings per bundle after one start of each; warnings logged:\n" + String.join("\n", warnings),
                Map.of("io.pyhost.it.once.partly/1.0.0", 1L, "io.pyhost.it.once.nothing/1.0.0", 1L, "io.pyhost.it.once.malformed/1.0.0", 1L),
                counts);
    }

    @Test
    public void aPythonPathDirectoryIsExtractedAlsoFromAJarWithoutDirectoryEntries() {
        // jar files need no entries for directories (zip -D, many hand-written builders): the
        // extender must still find the Python-Path directory through its files
        forEachPluginMode(mode -> {
            String pkg = uniqueModuleName("nodirs");
            start(plugin("io.pyhost.it.errors.nodirs", "1.0.0").withoutDirectoryEntries()
                    .path("python/lib")
                    .entry("python/lib/" + pkg + "/__init__.py", "ANSWER = 42\n"));
            try (PyContext ctx = create(mode)) {
                assertEquals("[" + mode + "] Python-Path from a jar without directory entries: " + preload.paths(),
                        42L, ctx.eval("__import__(" + pyString(pkg) + ").ANSWER"));
            }
        });
    }
}
