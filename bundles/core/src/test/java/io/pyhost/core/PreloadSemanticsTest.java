package io.pyhost.core;

import static org.junit.Assert.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameters;

import io.pyhost.api.ContextOptions;
import io.pyhost.api.PyContext;
import io.pyhost.api.PyException;

/** DESIGN.md "Semantics that must hold" 1-7, in every mode, without OSGi. */
@RunWith(Parameterized.class)
public class PreloadSemanticsTest extends EngineTest {
    @Parameters(name = "{0}")
    public static Collection<String> modes() {
        return EmbeddedPython.MODES;
    }

    private final String mode;

    public PreloadSemanticsTest(String mode) {
        this.mode = mode;
    }

    private PyContext create() {
        return EmbeddedPython.create(engine, mode);
    }

    @Test
    public void preloadedImportsFunctionsAndVariablesAreVisible() {
        preload.setCode("import json\nimport os\n\ndef shared_helper(x):\n    return x * 2\n\nCONFIG = {'debug': True, 'version': '1.0'}\n");
        try (PyContext ctx = create()) {
            assertEquals("{\"a\": 1}", ctx.eval("json.dumps({'a': 1})"));
            assertEquals(10L, ctx.eval("shared_helper(5)"));
            assertEquals(true, ctx.eval("CONFIG['debug']"));
        }
    }

    @Test
    public void contextsAreIsolated() {
        preload.setCode("COUNTER = 0\nCONFIG = {'debug': True, 'tags': ['a']}\n");
        try (PyContext one = create(); PyContext two = create()) {
            one.exec("COUNTER = 100\nCONFIG['debug'] = False\nCONFIG['tags'].append('b')");
            assertEquals(100L, one.eval("COUNTER"));
            assertEquals(0L, two.eval("COUNTER"));
            assertEquals(true, two.eval("CONFIG['debug']"));
            assertEquals(List.of("a"), two.eval("CONFIG['tags']"));
        }
    }

    @Test
    public void preloadedFunctionsWorkOnTheirContextsGlobals() {
        preload.setCode("CONFIG = {'debug': True}\nCOUNTER = 0\n"
                + "def bump():\n    global COUNTER\n    COUNTER += 1\n    return COUNTER\n"
                + "def set_debug(v):\n    CONFIG['debug'] = v\n"
                + "def is_debug():\n    return CONFIG['debug']\n"
                + "HANDLERS = {'bump': bump}\n");
        try (PyContext one = create(); PyContext two = create()) {
            assertEquals(1L, one.eval("bump()"));
            assertEquals(2L, one.eval("HANDLERS['bump']()"));
            one.eval("set_debug(False)");
            assertEquals(false, one.eval("is_debug()"));
            assertEquals(2L, one.eval("COUNTER"));
            assertEquals(1L, two.eval("bump()"));
            assertEquals(true, two.eval("is_debug()"));
            one.exec("CONFIG = {'debug': 'rebound'}");
            assertEquals("rebound", one.eval("is_debug()"));
        }
        try (PyContext later = create()) {
            assertEquals(0L, later.eval("COUNTER"));
            assertEquals(true, later.eval("is_debug()"));
        }
    }

    @Test
    public void changesReachOnlyNewContexts() {
        preload.setCode("PRELOADED = 42");
        try (PyContext before = create()) {
            assertEquals(42L, before.eval("PRELOADED"));
            preload.clearCode();
            assertEquals(42L, before.eval("PRELOADED"));
            try (PyContext after = create()) {
                PyException e = assertThrows(PyException.class, () -> after.eval("PRELOADED"));
                assertEquals("NameError", e.pythonType());
            }
        }
    }

    @Test
    public void creationOrderIsPathsThenImportsThenFragmentsThenContextPreload() throws Exception {
        Path dir = Files.createTempDirectory("pyhost-path");
        try {
            Files.writeString(dir.resolve("ordermod_" + mode + ".py"), "TRAIL = ['module']\n");
            preload.addPath(dir.toString());
            preload.addImport("ordermod_" + mode);
            preload.setCode("TRAIL = ordermod_" + mode + ".TRAIL + ['application']\n");
            try (PyContext ctx = EmbeddedPython.create(engine, ContextOptions.mode(mode).withPreload("TRAIL = TRAIL + ['context']"))) {
                assertEquals(List.of("module", "application", "context"), ctx.eval("TRAIL"));
            }
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    public void aPreloadErrorFailsCreationWithThePythonError() {
        int before = engine.contexts().size();
        preload.setCode("x = 1\ndef broken(:\n    pass\n");
        PyException e = assertThrows(PyException.class, this::create);
        assertEquals("SyntaxError", e.pythonType());
        assertEquals("builtins.SyntaxError", e.pythonQualifiedType());
        assertTrue(e.pythonMessage(), e.pythonMessage().contains("invalid syntax"));
        assertTrue(e.pythonTraceback(), e.pythonTraceback().contains("File \"application\", line 2"));
        assertEquals(before, engine.contexts().size());
        preload.setCode("raise ValueError('bad preload')");
        PyException raised = assertThrows(PyException.class, this::create);
        assertEquals("ValueError", raised.pythonType());
        assertEquals("bad preload", raised.pythonMessage());
        preload.clearCode();
        try (PyContext ctx = create()) {
            assertEquals(2L, ctx.eval("1 + 1"));
        }
    }

    @Test
    public void aWithdrawnPathTakesItsModulesAlong() throws Exception {
        Path dir = Files.createTempDirectory("pyhost-path");
        String module = "withdrawn_" + mode;
        try {
            Files.writeString(dir.resolve(module + ".py"), "VALUE = 'from the plugin'\n");
            preload.addPath(dir.toString());
            preload.addImport(module);
            try (PyContext ctx = create()) {
                assertEquals("from the plugin", ctx.eval(module + ".VALUE"));
            }
            preload.removeImport(module);
            preload.removePath(dir.toString());
            try (PyContext ctx = create()) {
                ctx.exec("import sys");
                assertEquals(false, ctx.eval("'" + module + "' in sys.modules"));
                assertEquals(0L, ctx.eval("__import__('sys').path.count(p)", java.util.Map.of("p", dir.toString())));
                assertEquals("ModuleNotFoundError", assertThrows(PyException.class, () -> ctx.exec("import " + module)).pythonType());
            }
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    public void aWithdrawnPathKeepsAPackageThatLoadedAnExtensionModule() throws Exception {
        Path dir = Files.createTempDirectory("pyhost-path");
        String nativePkg = "nativepkg_" + mode;
        String plainPkg = "plainpkg_" + mode;
        try (PyContext probe = create()) {
            // a stdlib extension module copied into a package: pkg/_json.<suffix> imports as pkg._json
            Path json = Path.of((String) probe.eval("__import__('_json').__file__"));
            Files.createDirectories(dir.resolve(nativePkg));
            Files.writeString(dir.resolve(nativePkg).resolve("__init__.py"), "from . import _json\n");
            Files.copy(json, dir.resolve(nativePkg).resolve(json.getFileName()));
            Files.createDirectories(dir.resolve(plainPkg));
            Files.writeString(dir.resolve(plainPkg).resolve("__init__.py"), "VALUE = 1\n");
        }
        try {
            preload.addPath(dir.toString());
            try (PyContext ctx = create()) {
                ctx.exec("import " + nativePkg + ", " + plainPkg);
                assertTrue((String) ctx.eval(nativePkg + "._json.__file__"), ((String) ctx.eval(nativePkg + "._json.__file__")).startsWith(dir.toString()));
            }
            preload.removePath(dir.toString());
            try (PyContext ctx = create()) {
                ctx.exec("import sys, importlib.util");
                if (mode.equals("worker")) { // the main interpreter's sys.modules outlives contexts
                    assertEquals("a package that loaded an extension module stays (it could not be loaded again)",
                            true, ctx.eval("'" + nativePkg + "' in sys.modules and '" + nativePkg + "._json' in sys.modules"));
                    assertEquals("a pure-Python package goes with its path", false, ctx.eval("'" + plainPkg + "' in sys.modules"));
                } else { // a new sub-interpreter starts from the withdrawn preload: neither package is there or findable
                    assertEquals(false, ctx.eval("'" + nativePkg + "' in sys.modules or '" + plainPkg + "' in sys.modules"));
                    assertEquals(true, ctx.eval("importlib.util.find_spec('" + nativePkg + "') is None and importlib.util.find_spec('"
                            + plainPkg + "') is None"));
                }
            }
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    public void pathsKeepTheRegisteredOrderWhenAnEarlierOneComesLater() throws Exception {
        Path late = Files.createTempDirectory("pyhost-late");
        Path early = Files.createTempDirectory("pyhost-early");
        try {
            preload.contribute("owner-2", new PreloadRegistry.Contribution(List.of(), List.of(late.toString()), List.of()));
            try (PyContext ctx = create()) {
                assertEquals(true, ctx.eval("__import__('sys').path.count(p) == 1", java.util.Map.of("p", late.toString())));
            }
            // a contribution that sorts first (a package the first one requires) arrives second
            preload.contribute("owner-1", new PreloadRegistry.Contribution(List.of(), List.of(early.toString()), List.of()));
            assertEquals(List.of(early.toString(), late.toString()), preload.paths());
            try (PyContext ctx = create()) {
                assertEquals(true, ctx.eval("__import__('sys').path.index(e) < __import__('sys').path.index(l)",
                        java.util.Map.of("e", early.toString(), "l", late.toString())));
            }
        } finally {
            preload.withdraw("owner-1");
            preload.withdraw("owner-2");
            Files.delete(late);
            Files.delete(early);
        }
    }

    @Test
    public void aFragmentErrorNamesTheFragmentInTheMessage() {
        preload.setCode("x = 1\nraise ValueError('boom')\n");
        PyException e = assertThrows(PyException.class, this::create);
        assertEquals("boom", e.pythonMessage());
        assertEquals("ValueError: boom (in preload fragment application)", e.getMessage());
        assertTrue(e.pythonTraceback(), e.pythonTraceback().contains("File \"application\", line 2"));
        assertFalse("pyhost's own frames are left out: " + e.pythonTraceback(), e.pythonTraceback().contains("pyhost helpers"));
    }

    @Test
    public void aContextPreloadErrorFailsOnlyThatCreation() {
        PyException e = assertThrows(PyException.class,
                () -> EmbeddedPython.create(engine, ContextOptions.mode(mode).withPreload("1/0")));
        assertEquals("ZeroDivisionError", e.pythonType());
        assertTrue(e.pythonTraceback(), e.pythonTraceback().contains("File \"context\", line 1"));
        try (PyContext ctx = create()) {
            assertEquals(3L, ctx.eval("1 + 2"));
        }
    }

    @Test
    public void pythonErrorsCarryTypeMessageAndTraceback() {
        try (PyContext ctx = create()) {
            ctx.exec("class MyError(Exception):\n    pass\ndef fail():\n    raise MyError('it broke')\n");
            PyException e = assertThrows(PyException.class, () -> ctx.eval("fail()"));
            assertEquals("MyError", e.pythonType());
            assertEquals("__pyhost__.MyError", e.pythonQualifiedType());
            assertEquals("it broke", e.pythonMessage());
            assertEquals("MyError: it broke", e.getMessage());
            assertTrue(e.pythonTraceback(), e.pythonTraceback().startsWith("Traceback (most recent call last):"));
            assertTrue(e.pythonTraceback(), e.pythonTraceback().contains("in fail"));
            assertEquals(6L, ctx.eval("2 * 3"));
        }
    }

    @Test
    public void callResolvesModulesAndOwnGlobals() {
        try (PyContext ctx = create()) {
            assertEquals("[1, 2]", ctx.call("json", "dumps", List.of(List.of(1, 2)), null));
            assertEquals("{\"a\": 1}", ctx.call("json", "dumps", List.of(java.util.Map.of("a", 1)),
                    java.util.Map.of("sort_keys", true)));
            assertEquals("/a/b", ctx.call("os", "path.join", List.of("/a", "b"), null));
            ctx.exec("def add(a, b=10):\n    return a + b\n");
            assertEquals(11L, ctx.call(null, "add", List.of(1), null));
            assertEquals(3L, ctx.call("", "add", List.of(1), java.util.Map.of("b", 2)));
            PyException missingModule = assertThrows(PyException.class, () -> ctx.call("no_such_module_x", "f", null, null));
            assertEquals("ModuleNotFoundError", missingModule.pythonType());
            PyException missingFunction = assertThrows(PyException.class, () -> ctx.call("json", "nope", null, null));
            assertEquals("AttributeError", missingFunction.pythonType());
            PyException missingGlobal = assertThrows(PyException.class, () -> ctx.call(null, "nope", null, null));
            assertEquals("NameError", missingGlobal.pythonType());
            assertEquals("name 'nope' is not defined", missingGlobal.pythonMessage());
        }
    }

    @Test
    public void badInputIsRefusedAndChangesNothing() {
        try (PyContext ctx = create()) {
            assertEquals("expression is null", assertThrows(IllegalArgumentException.class, () -> ctx.eval(null)).getMessage());
            assertEquals("code is null", assertThrows(IllegalArgumentException.class, () -> ctx.exec(null)).getMessage());
            assertEquals("code contains a NUL character",
                    assertThrows(IllegalArgumentException.class, () -> ctx.exec("x = 1\0")).getMessage());
            assertEquals("function is null",
                    assertThrows(IllegalArgumentException.class, () -> ctx.call("json", null, null, null)).getMessage());
            assertEquals(2L, ctx.eval("1 + 1"));
        }
    }

    @Test
    public void aClosedContextSaysWhy() {
        PyContext ctx = create();
        ctx.close();
        ctx.close(); // idempotent
        assertTrue(ctx.isClosed());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ctx.eval("1"));
        assertEquals("context " + ctx.id() + " (" + mode + ") is closed: it was closed", e.getMessage());
    }
}
