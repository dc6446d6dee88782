package io.pyhost.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;

import io.pyhost.api.ContextFactory;
import io.pyhost.api.ContextOptions;
import io.pyhost.api.Fragment;
import io.pyhost.api.PyContext;

/**
 * DESIGN.md semantics 2 and 3: a new interpreter applies registered paths, then registered
 * imports, then the preload code (application code, then the context's own preload); the
 * preload runs once per interpreter per preload version, so a second worker context copies
 * the namespace instead of running the code again, and any change makes a new version.
 */
@RunWith(PaxExam.class)
public class CreationOrderIT extends PyhostTestSupport {

    @Test
    public void registeredPathModuleIsImportedByRegisteredImportAndBothAreVisibleToThePreload() {
        forEachMode(mode -> {
            Path dir = tempDir();
            String module = uniqueModuleName("order");
            writeModule(dir, module, "VALUE = 'from the registered path'\n");

            preload.addPath(dir.toString());
            preload.addImport(module);
            // The preload neither touches sys.path nor imports the module: it can only use it if
            // the path was applied first, then the import, binding the module's name here.
            preload.setCode("SEEN_BY_PRELOAD = " + module + ".VALUE\n"
                    + "PATH_SEEN_BY_PRELOAD = __import__('sys').path.count(" + pyString(dir.toString()) + ")\n");
            assertEquals(List.of(dir.toString()), preload.paths());
            assertEquals(List.of(module), preload.imports());

            try (PyContext ctx = create(ContextOptions.mode(mode).withPreload("SEEN_BY_CONTEXT_PRELOAD = SEEN_BY_PRELOAD + '!'"))) {
                assertEquals("from the registered path", ctx.eval("SEEN_BY_PRELOAD"));
                assertEquals("sys.path holds the registered directory exactly once", 1L, ctx.eval("PATH_SEEN_BY_PRELOAD"));
                assertEquals("the module came from the registered directory", dir.resolve(module + ".py").toString(),
                        ctx.eval(module + ".__file__"));
                assertEquals("the registered import is in sys.modules", true,
                        ctx.eval("'" + module + "' in __import__('sys').modules"));
                assertEquals("ContextOptions.preload runs after the application code",
                        "from the registered path!", ctx.eval("SEEN_BY_CONTEXT_PRELOAD"));
            }
        });
    }

    @Test
    public void aDottedRegisteredImportBindsItsTopLevelName() {
        forEachMode(mode -> {
            preload.addImport("xml.dom");
            preload.setCode("DOM_NAME = xml.dom.__name__");
            try (PyContext ctx = create(mode)) {
                assertEquals("xml.dom", ctx.eval("DOM_NAME"));
                assertEquals("xml", ctx.eval("xml.__name__"));
            }
        });
    }

    @Test
    public void fragmentsListTheApplicationCodeLastAndEffectiveCodeHoldsIt() {
        preload.setCode("APP = 1");
        List<Fragment> fragments = preload.fragments();
        Fragment last = fragments.getLast();
        assertEquals(Fragment.APPLICATION, last.origin());
        assertEquals("APP = 1", last.code());
        assertTrue(preload.effectiveCode(), preload.effectiveCode().contains("APP = 1"));
    }

    @Test
    public void workerModeRunsThePreloadOncePerVersionAndAgainForEveryChange() {
        Path dir = tempDir();
        String counter = uniqueModuleName("counter");
        writeModule(dir, counter, "RUNS = []\n");
        preload.addPath(dir.toString());

        // The preload records each run in a module attribute: worker contexts share sys.modules,
        // so the module outlives every preload namespace and counts runs across them.
        preload.setCode("import " + counter + "\n" + counter + ".RUNS.append('v1')\nMY_RUN = len(" + counter + ".RUNS)\n");
        long v1 = preload.version();
        try (PyContext ctx1 = create(ContextFactory.WORKER); PyContext ctx2 = create(ContextFactory.WORKER)) {
            assertEquals(List.of("v1"), ctx1.eval(counter + ".RUNS"));
            assertEquals("a second worker context copied the namespace instead of running the preload again",
                    List.of("v1"), ctx2.eval(counter + ".RUNS"));
            assertEquals(1L, ctx2.eval("MY_RUN"));

            preload.setCode("import " + counter + "\n" + counter + ".RUNS.append('v2')\nMY_RUN = len(" + counter + ".RUNS)\n");
            assertNotEquals("a changed preload is a new version", v1, preload.version());
            try (PyContext ctx3 = create(ContextFactory.WORKER); PyContext ctx4 = create(ContextFactory.WORKER)) {
                assertEquals("the changed preload ran once for the new version",
                        List.of("v1", "v2"), ctx4.eval(counter + ".RUNS"));
                assertEquals(2L, ctx3.eval("MY_RUN"));
                assertEquals(2L, ctx4.eval("MY_RUN"));
                assertEquals("the existing context keeps its namespace", 1L, ctx1.eval("MY_RUN"));

                // a change of the imports alone is a new version too, and so is its removal
                preload.addImport("fractions");
                try (PyContext ctx5 = create(ContextFactory.WORKER)) {
                    assertEquals(List.of("v1", "v2", "v2"), ctx5.eval(counter + ".RUNS"));
                    assertEquals("fractions", ctx5.eval("fractions.__name__"));
                }
                preload.removeImport("fractions");
                try (PyContext ctx6 = create(ContextFactory.WORKER)) {
                    assertEquals(List.of("v1", "v2", "v2", "v2"), ctx6.eval(counter + ".RUNS"));
                    assertEquals("a removed import is no longer bound in new contexts", false,
                            ctx6.eval("'fractions' in globals()"));
                }
            }
        }
    }

    @Test
    public void everyInterpreterRunsThePreloadExactlyOnce() {
        // worker: two contexts, one interpreter, one run; subinterp/owngil: two interpreters with
        // a module each, one run in each. Either way every context sees exactly one run.
        forEachMode(mode -> {
            Path dir = tempDir();
            String counter = uniqueModuleName("counter");
            writeModule(dir, counter, "RUNS = []\n");
            preload.addPath(dir.toString());
            preload.setCode("import " + counter + "\n" + counter + ".RUNS.append('run')\n");
            try (PyContext ctx1 = create(mode); PyContext ctx2 = create(mode)) {
                assertEquals(List.of("run"), ctx1.eval(counter + ".RUNS"));
                assertEquals(List.of("run"), ctx2.eval(counter + ".RUNS"));
            }
        });
    }
}
