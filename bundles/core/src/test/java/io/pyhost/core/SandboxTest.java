package io.pyhost.core;

import static org.junit.Assert.*;

import java.util.Arrays;
import java.util.Collection;
import java.util.List;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameters;

import io.pyhost.api.ContextOptions;
import io.pyhost.api.PyContext;
import io.pyhost.api.PyException;

/**
 * The sandbox against the escapes of issue 11 and the ones found since, in each mode it applies
 * to: worker and subinterp with {@code withSandbox(true)}, owngil by default. A refusal is a
 * Python exception; the context keeps working after it. An escape that ends the process
 * ({@code os._exit}, {@code os.abort}, a signal) would take this test JVM down: that too fails the build.
 */
@RunWith(Parameterized.class)
public class SandboxTest extends EngineTest {
    @Parameters(name = "{0}")
    public static Collection<Object[]> cases() {
        return Arrays.asList(new Object[][] {
            {"worker", ContextOptions.mode("worker").withSandbox(true)},
            {"subinterp", ContextOptions.mode("subinterp").withSandbox(true)},
            {"owngil", ContextOptions.mode("owngil")}, // sandboxed by default
        });
    }

    private final String mode;
    private final ContextOptions options;

    public SandboxTest(String mode, ContextOptions options) {
        this.mode = mode;
        this.options = options;
    }

    private static final String FORK_EXEC = "_posixsubprocess.fork_exec(['/bin/true'], [b'/bin/true'], True, (), None, None,"
            + " -1, -1, -1, -1, -1, -1, -1, -1, False, False, -1, None, None, None, -1, None)";

    /** Runs code that must be refused with a RuntimeError from the sandbox, then checks the context still works. */
    private static void refused(PyContext ctx, String code) {
        PyException e = assertThrows(code, PyException.class, () -> ctx.exec(code));
        assertEquals(code + ": " + e.pythonMessage(), "RuntimeError", e.pythonType());
        assertTrue(code + ": " + e.pythonMessage(), e.pythonMessage().startsWith("pyhost sandbox refuses "));
        assertEquals(2L, ctx.eval("1 + 1"));
    }

    private static void importRefused(PyContext ctx, String code) {
        PyException e = assertThrows(code, PyException.class, () -> ctx.exec(code));
        assertEquals(code + ": " + e.pythonMessage(), "ImportError", e.pythonType());
        assertTrue(code + ": " + e.pythonMessage(), e.pythonMessage().startsWith("pyhost sandbox refuses to"));
        assertEquals(2L, ctx.eval("1 + 1"));
    }

    /** Refused either way: as an import, or (where another context loaded the module into shared sys.modules) at use. */
    private static void importOrUseRefused(PyContext ctx, String code) {
        PyException e = assertThrows(code, PyException.class, () -> ctx.exec(code));
        assertTrue(code + ": " + e.pythonType(), e.pythonType().equals("ImportError") || e.pythonType().equals("RuntimeError"));
        assertTrue(code + ": " + e.pythonMessage(), e.pythonMessage().startsWith("pyhost sandbox refuses "));
        assertEquals(2L, ctx.eval("1 + 1"));
    }

    @Test
    public void forkExecIsRefused() {
        try (PyContext ctx = EmbeddedPython.create(engine, options)) {
            refused(ctx, "import _posixsubprocess\n" + FORK_EXEC);
            refused(ctx, "import subprocess\nsubprocess._fork_exec" + FORK_EXEC.substring(FORK_EXEC.indexOf('(')));
        }
    }

    @Test
    public void forkExecImportedByThePreloadIsRefused() {
        preload.setCode("import subprocess, _posixsubprocess\nfrom _posixsubprocess import fork_exec\nKEPT = [fork_exec]");
        try (PyContext ctx = EmbeddedPython.create(engine, options)) {
            refused(ctx, FORK_EXEC);
            refused(ctx, "fork_exec" + FORK_EXEC.substring(FORK_EXEC.indexOf('(')));
            refused(ctx, "KEPT[0]" + FORK_EXEC.substring(FORK_EXEC.indexOf('(')));
            refused(ctx, "subprocess.run(['/bin/true'])");
        }
    }

    @Test
    public void ctypesIsRefused() {
        try (PyContext ctx = EmbeddedPython.create(engine, options)) {
            importOrUseRefused(ctx, "import ctypes\nctypes.CDLL(None).system(b'true')");
            if (!mode.equals("worker")) { // a worker context may find _ctypes loaded by an unsandboxed one (all use is refused then)
                importRefused(ctx, "import _ctypes");
            }
        }
    }

    @Test
    public void ctypesImportedByThePreloadIsRefused() {
        preload.setCode("import ctypes");
        try (PyContext ctx = EmbeddedPython.create(engine, options)) {
            refused(ctx, "ctypes.CDLL(None).system(b'true')");
            refused(ctx, "ctypes.pythonapi.Py_GetVersion()");
            refused(ctx, "ctypes.c_char.from_address(id(1))");
        }
    }

    @Test
    public void replacingSysAuditChangesNothing() {
        try (PyContext ctx = EmbeddedPython.create(engine, options)) {
            ctx.exec("import sys, subprocess\nsys.audit = lambda *args: None");
            refused(ctx, "subprocess.run(['/bin/true'])");
            refused(ctx, "import os\nos.system('true')");
        }
    }

    @Test
    public void theHookHasNoStateToFlip() {
        try (PyContext ctx = EmbeddedPython.create(engine, options)) {
            refused(ctx, "import gc\ngc.get_objects()");
            refused(ctx, "import gc, os\ngc.get_referrers(os._exit)");
            refused(ctx, "import gc, os\ngc.get_referents(os._exit)");
            refused(ctx, "import sys\nsys.settrace(lambda *a: None)");
            refused(ctx, "import sys\nsys.setprofile(lambda *a: None)");
            refused(ctx, "import sys\nsys.monitoring.register_callback(3, 1, lambda *a: None)");
            // the frames of a refusal: the hook's globals and locals hold nothing, its secret helpers' code is refused
            ctx.exec("""
                    import os
                    try:
                        os.system('true')
                    except RuntimeError as e:
                        tb = e.__traceback__
                    frames = []
                    while tb is not None:
                        frames.append(tb.tb_frame)
                        tb = tb.tb_next
                    hook = frames[-1]
                    hook_globals = dict(hook.f_globals)
                    hook.f_globals.clear()
                    hook.f_locals['event'] = 'harmless'
                    secret = [c for c in hook.f_code.co_consts if callable(c) and getattr(c, '__name__', '') == 'pyhost_sandboxed']
                    """);
            assertEquals("{'__builtins__': {}}", ctx.eval("repr(hook_globals)"));
            refused(ctx, "os.system('true')");
            if (mode.equals("worker")) { // the set of sandboxed threads is a constant of a secret function
                assertEquals(1L, ctx.eval("len(secret)"));
                refused(ctx, "secret[0].__code__");
                assertEquals(Boolean.TRUE, ctx.eval("secret[0]()"));
            }
            // the stubs hold their original behind code the hook will not show, and cannot be changed
            refused(ctx, "[c for c in os._exit.__code__.co_consts if callable(c)][0].__code__");
            refused(ctx, "os._exit.__code__ = (lambda *a: None).__code__");
            refused(ctx, "os.system('true')");
        }
    }

    @Test
    public void replacingGetIdentChangesNothing() {
        try (PyContext ctx = EmbeddedPython.create(engine, options)) {
            ctx.exec("import _thread, threading\nsaved = _thread.get_ident\n_thread.get_ident = lambda: 0\nthreading.get_ident = lambda: 0");
            try {
                refused(ctx, "import os\nos.system('true')");
            } finally { // worker mode shares these modules with every other test's contexts
                ctx.exec("_thread.get_ident = threading.get_ident = saved");
            }
        }
    }

    @Test
    public void osExitIsRefusedAndTheJvmLives() {
        preload.setCode("import os\nfrom os import _exit");
        try (PyContext ctx = EmbeddedPython.create(engine, options)) {
            refused(ctx, "os._exit(3)");
            refused(ctx, "_exit(3)");
            refused(ctx, "import posix\nposix._exit(3)");
            refused(ctx, "os.abort()");
        }
    }

    @Test
    public void signalsToTheProcessAreRefused() {
        try (PyContext ctx = EmbeddedPython.create(engine, options)) {
            ctx.exec("import os, signal");
            refused(ctx, "os.kill(os.getpid(), 0)");
            refused(ctx, "os.killpg(os.getpgid(0), 0)");
            refused(ctx, "signal.raise_signal(signal.SIGTERM)");
            refused(ctx, "signal.pthread_kill(0, 0)");
            refused(ctx, "signal.alarm(1000)");
            refused(ctx, "signal.setitimer(signal.ITIMER_REAL, 1000)");
        }
    }

    @Test
    public void faulthandlerIsRefused() {
        try (PyContext ctx = EmbeddedPython.create(engine, options)) {
            if (mode.equals("worker")) { // shared sys.modules: loaded (with stubs) when the sandbox came
                refused(ctx, "import faulthandler\nfaulthandler._sigsegv()");
                refused(ctx, "faulthandler.enable()");
            } else {
                importRefused(ctx, "import faulthandler");
            }
        }
        if (mode.equals("worker")) { // sub-interpreters cannot load faulthandler at all
            preload.setCode("import faulthandler");
            try (PyContext ctx = EmbeddedPython.create(engine, options)) {
                refused(ctx, "faulthandler._sigsegv()");
                refused(ctx, "faulthandler.dump_traceback_later(1000)");
            }
        }
    }

    @Test
    public void reimportTricksAreRefused() {
        try (PyContext ctx = EmbeddedPython.create(engine, options)) {
            ctx.exec("import sys\nsaved = sys.modules['posix']");
            importRefused(ctx, "sys.modules.pop('posix')\ntry:\n    import posix\nfinally:\n    sys.modules['posix'] = saved");
            importRefused(ctx, "import sys\nsaved = sys.modules.pop('_posixsubprocess')\ntry:\n    import _posixsubprocess\n"
                    + "finally:\n    sys.modules['_posixsubprocess'] = saved");
            importRefused(ctx, "import _imp, types\n_imp.create_builtin(types.SimpleNamespace(name='posix'))._exit(3)");
            importRefused(ctx, "import importlib.util\nspec = importlib.util.find_spec('_posixsubprocess')\n"
                    + "spec.name = 'x._posixsubprocess'\nimportlib.util.module_from_spec(spec)");
            importRefused(ctx, "import importlib\nsys.modules.pop('posix')\ntry:\n    importlib.import_module('posix')\n"
                    + "finally:\n    sys.modules['posix'] = saved");
            importRefused(ctx, "import _testcapi");
            importOrUseRefused(ctx, "import _interpreters\n_interpreters.create()"); // worker: may be loaded already
            // an ordinary builtin module still imports afresh
            assertEquals("root", ctx.eval("__import__('sys').modules.pop('pwd', None) or __import__('pwd').getpwuid(0).pw_name"
                    .replace("__import__('sys').modules.pop('pwd', None) or ", "")));
        }
    }

    @Test
    public void processCreationStaysRefused() {
        try (PyContext ctx = EmbeddedPython.create(engine, options)) {
            ctx.exec("import os, subprocess");
            for (String code : List.of("os.system('true')", "os.posix_spawn('/bin/true', ['true'], {})",
                    "os.posix_spawnp('true', ['true'], {})", "subprocess.Popen(['/bin/true'])", "import pty\npty.spawn('/bin/true')")) {
                PyException e = assertThrows(code, PyException.class, () -> ctx.exec(code));
                assertEquals(code, "RuntimeError", e.pythonType()); // by the sandbox, or by an own-GIL interpreter's configuration
            }
            refused(ctx, "os.system('true')");
        }
    }

    @Test
    public void aTracebackStillReachesJava() {
        try (PyContext ctx = EmbeddedPython.create(engine, options)) {
            ctx.exec("def inner():\n    raise ValueError('boom')\ndef outer():\n    inner()");
            PyException e = assertThrows(PyException.class, () -> ctx.exec("outer()"));
            assertEquals("ValueError", e.pythonType());
            assertTrue(e.pythonTraceback(), e.pythonTraceback().contains("in outer"));
            assertTrue(e.pythonTraceback(), e.pythonTraceback().contains("in inner"));
            assertTrue(e.pythonTraceback(), e.pythonTraceback().contains("ValueError: boom"));
            PyException refusal = assertThrows(PyException.class, () -> ctx.exec("import os\ndef leave():\n    os._exit(3)\nleave()"));
            assertTrue(refusal.pythonTraceback(), refusal.pythonTraceback().contains("in leave"));
            assertTrue(refusal.pythonTraceback(), refusal.pythonTraceback().contains("RuntimeError: pyhost sandbox refuses posix._exit"));
            // and in Python, the traceback module formats a refusal
            assertEquals(Boolean.TRUE, ctx.eval("__import__('traceback').format_exc is not None"));
            ctx.exec("import traceback\ntry:\n    os.system('true')\nexcept RuntimeError:\n    text = traceback.format_exc()");
            assertTrue((String) ctx.eval("text"), ((String) ctx.eval("text")).contains("pyhost sandbox refuses os.system"));
        }
    }

    @Test
    public void theContextPreloadRunsSandboxed() {
        PyException e = assertThrows(PyException.class,
                () -> EmbeddedPython.create(engine, options.withPreload("import os\nos.system('true')")));
        assertEquals("pyhost sandbox refuses os.system", e.pythonMessage());
    }

    @Test
    public void ordinaryPythonStillWorks() {
        try (PyContext ctx = EmbeddedPython.create(engine, options)) {
            ctx.exec("""
                    import asyncio, json, collections, dataclasses, typing, enum, importlib, pickle, os
                    P = collections.namedtuple('P', 'x y')
                    @dataclasses.dataclass
                    class D:
                        a: int = 1
                    class E(enum.Enum):
                        A = 1
                    async def twice(x):
                        await asyncio.sleep(0)
                        return 2 * x
                    value = asyncio.run(twice(21))
                    with open(os.devnull) as f:
                        f.read()
                    """);
            assertEquals(42L, ctx.eval("value"));
            assertEquals(3L, ctx.eval("P(1, 2).x + P(1, 2).y"));
            assertEquals(Boolean.TRUE, ctx.eval("pickle.loads(pickle.dumps({'a': [1, 2.0, None]})) == {'a': [1, 2.0, None]}"));
            assertEquals(1L, ctx.eval("D().a + E.A.value - 1"));
        }
    }

    @Test
    public void workerModeConfinesTheCallingThread() {
        if (!mode.equals("worker")) {
            return;
        }
        try (PyContext boxed = EmbeddedPython.create(engine, options);
                PyContext open = EmbeddedPython.create(engine, ContextOptions.mode("worker").withSandbox(false))) {
            refused(boxed, "import threading\nthreading.Thread(target=print).start()");
            refused(boxed, "import _thread\n_thread.start_new_thread(print, ())");
            boxed.exec("import logging\nlogging.getLogger('pyhost.test').warning('a sandboxed call may log')"); // uses sys._getframe
            // the same interpreter, a context without the sandbox: everything as before, stubs pass through
            assertEquals(0L, open.eval("__import__('os').system('true')"));
            assertEquals(0L, open.eval("__import__('subprocess').call(['/bin/true'])"));
            assertEquals(Boolean.FALSE, open.eval("__import__('faulthandler').is_enabled()"));
            assertEquals(Boolean.TRUE, open.eval("__import__('sys')._getframe() is not None"));
            open.exec("import threading\nt = threading.Thread(target=print)\nt.start()\nt.join()");
            refused(boxed, "import os\nos.system('true')");
        }
    }
}
