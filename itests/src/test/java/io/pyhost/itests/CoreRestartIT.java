package io.pyhost.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.osgi.framework.Bundle;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.wiring.FrameworkWiring;

import io.pyhost.api.ContextFactory;
import io.pyhost.api.PreloadService;
import io.pyhost.api.PyContext;
import io.pyhost.spi.PythonDistribution;

/**
 * DESIGN.md "Threads" and issue 5: stopping core ({@code io.pyhost.core}) closes every context of
 * every mode, each later call throwing {@link IllegalStateException} saying core stopped; a
 * restarted core (or a refreshed one, with a new class loader) finds CPython initialized and
 * reuses it: what the main interpreter held survives, the embedded Python is not unpacked again,
 * and the seed examples pass again in every mode. Five restarts in a row.
 */
@RunWith(PaxExam.class)
public class CoreRestartIT extends PyhostTestSupport {

    static final String CORE_BSN = "io.pyhost.core";
    static final String INTERP_THREADS = "pyhost-interp-";
    static final int RESTARTS = 5;
    static final Set<String> ALL_MODES = Set.of(ContextFactory.WORKER, ContextFactory.SUBINTERP, ContextFactory.OWNGIL, ContextFactory.PROCESS);
    /** DistributionCache.MARKER_FILE: written last when the embedded tree is unpacked. */
    static final String UNPACKED_MARKER = ".pyhost-unpacked";

    private Bundle core;
    private Path home;
    private FileTime unpackedAt;
    private String sysMarker;

    @Before
    public void rememberTheRuntime() throws Exception {
        core = StrategyBundles.installed(bundleContext, CORE_BSN);
        PythonDistribution distribution = service(PythonDistribution.class);
        assertEquals(PythonDistribution.SOURCE_EMBEDDED, distribution.source());
        home = distribution.home();
        unpackedAt = Files.getLastModifiedTime(home.resolve(UNPACKED_MARKER));
        sysMarker = uniqueModuleName("marker");
        try (PyContext ctx = create(ContextFactory.WORKER)) {
            ctx.exec("import sys");
            assertEquals("a fresh marker", false, ctx.eval("hasattr(sys, " + pyString(sysMarker) + ")"));
            ctx.exec("setattr(sys, " + pyString(sysMarker) + ", 42)");
        }
    }

    @After
    public void startCoreAgain() throws Exception {
        if (core.getState() != Bundle.ACTIVE) {
            core.start();
        }
    }

    @Test
    public void fiveCoreRestartsWithContextsOfEveryModeOpenCloseThemAndTheRestartedCoreReusesCPython() throws Exception {
        Set<String> interpThreadsBefore = threadsNamed(INTERP_THREADS);
        long interpretersBefore = liveInterpreters();
        for (int round = 1; round <= RESTARTS; round++) {
            String when = "restart " + round + ": ";
            List<PyContext> open = openTwoPerMode(round);
            ContextFactory stopped = factory;

            bounded(when + "core.stop()", core::stop);
            assertAllClosedBecauseCoreStopped(when, open);
            awaitCondition(() -> when + "the closed contexts' interpreter threads to end; live: " + threadsNamed(INTERP_THREADS),
                    () -> threadsNamed(INTERP_THREADS).equals(interpThreadsBefore));
            awaitCondition(() -> when + "the closed process contexts' children to end; live: " + ProcessModeIT.servers(),
                    () -> ProcessModeIT.servers().isEmpty());

            bounded(when + "core.start()", core::start);
            rebind(when);
            assertNotSame(when + "a new ContextFactory", stopped, factory);
            assertSameCPythonAndSeedExamplesPass(when);
            assertEquals(when + "no interpreter left over", interpretersBefore, liveInterpreters());
        }
    }

    @Test
    public void aRefreshedCoreBundleWithANewClassLoaderReusesCPythonToo() throws Exception {
        List<PyContext> open = openTwoPerMode(1);
        ContextFactory before = factory;

        FrameworkWiring wiring = bundleContext.getBundle(0).adapt(FrameworkWiring.class);
        CompletableFuture<FrameworkEvent> refreshed = new CompletableFuture<>();
        wiring.refreshBundles(List.of(core), refreshed::complete);
        FrameworkEvent event = refreshed.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertEquals("refresh ended without error: " + event.getThrowable(), FrameworkEvent.PACKAGES_REFRESHED, event.getType());

        assertAllClosedBecauseCoreStopped("refresh: ", open);
        rebind("refresh: ");
        assertTrue("a core class loaded anew: " + factory.getClass() + " vs " + before.getClass(),
                factory.getClass() != before.getClass() && factory.getClass().getName().equals(before.getClass().getName()));
        assertSameCPythonAndSeedExamplesPass("refresh: ");
    }

    /**
     * Issue 13 item 6: what a core leaves in the process (CPython lives on) is recognized and
     * reused by the next core generation, not chained or leaked per class loader. Checked after
     * five refreshes (each a new class loader), from Python in the main interpreter:
     * <ul>
     * <li>no allocator hook: the object and raw allocators are CPython's own functions (they lie
     * in libpython, not in a JVM upcall stub). pyhost installs none (its memory cap polls);</li>
     * <li>one wrapper around each thread start ({@code _pyhost_original} is the builtin), one
     * logging handler, one meta path hook: wrappers replaced, never stacked;</li>
     * <li>the main interpreter's thread states do not grow with the refreshes (the caller's own is
     * taken over through PyGILState, lanes free theirs);</li>
     * <li>a Python thread calls Java through the newest core; a function of a retired core's module
     * raises {@code SystemError} (its upcall stub is retired) instead of running old code.</li>
     * </ul>
     */
    @Test
    public void fiveRefreshesLeaveOneOfEachProcessWideThingAndRetireTheOldUpcalls() throws Exception {
        String stash = uniqueModuleName("old_call");
        int threadStatesBefore;
        try (PyContext ctx = create(io.pyhost.api.ContextOptions.mode(ContextFactory.WORKER).withSandbox(false))) {
            ctx.exec(PROCESS_PROBES);
            threadStatesBefore = ((Number) ctx.eval("main_thread_states()")).intValue();
            ctx.exec("import pyhost; setattr(sys, " + pyString(stash) + ", pyhost.call)");
        }
        for (int round = 1; round <= RESTARTS; round++) {
            FrameworkWiring wiring = bundleContext.getBundle(0).adapt(FrameworkWiring.class);
            CompletableFuture<FrameworkEvent> refreshed = new CompletableFuture<>();
            wiring.refreshBundles(List.of(core), refreshed::complete);
            FrameworkEvent event = refreshed.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            assertEquals("refresh " + round + ": " + event.getThrowable(), FrameworkEvent.PACKAGES_REFRESHED, event.getType());
            rebind("refresh " + round + ": ");
            try (PyContext ctx = create(ContextFactory.WORKER)) { // each generation installs its module in main
                assertEquals(2L, ctx.eval("1 + 1"));
            }
        }
        var function = bundleContext.registerService(io.pyhost.api.PyFunction.class, (args, kwargs) -> "java " + args.get(0),
                new java.util.Hashtable<>(java.util.Map.of(io.pyhost.api.PyFunction.NAME, "it.refresh.echo")));
        try (PyContext ctx = create(io.pyhost.api.ContextOptions.mode(ContextFactory.WORKER).withSandbox(false))) {
            ctx.exec(PROCESS_PROBES);
            assertEquals("the allocators are CPython's own", List.of("libpython", "libpython"), ctx.eval("allocator_owners()"));
            assertEquals("one wrapper per thread start, around the builtin", List.of(1L, 1L, 1L), ctx.eval("wrapper_depths()"));
            assertEquals("one pyhost logging handler and at most one meta path hook", List.of(1L, true),
                    ctx.eval("logging_hooks()"));
            int threadStatesAfter = ((Number) ctx.eval("main_thread_states()")).intValue();
            assertTrue("thread states of main before " + threadStatesBefore + ", after " + RESTARTS + " refreshes "
                    + threadStatesAfter, threadStatesAfter < threadStatesBefore + RESTARTS);
            assertEquals("a Python thread calls Java through the newest core", "java thread", ctx.eval("from_a_thread()"));
            assertEquals("the retired core's pyhost.call", "SystemError",
                    ctx.eval("retired_call(getattr(sys, " + pyString(stash) + "))"));
            assertEquals("the context answers after that", 3L, ctx.eval("1 + 2"));
        } finally {
            function.unregister();
        }
    }

    /** Python probes of process-wide state (main interpreter; ctypes, so no sandbox). */
    private static final String PROCESS_PROBES = """
            import ctypes, sys, threading, _thread

            def main_thread_states():
                api = ctypes.pythonapi
                for f in (api.PyInterpreterState_Main, api.PyInterpreterState_ThreadHead, api.PyThreadState_Next):
                    f.restype = ctypes.c_void_p
                api.PyInterpreterState_ThreadHead.argtypes = [ctypes.c_void_p]
                api.PyThreadState_Next.argtypes = [ctypes.c_void_p]
                n, t = 0, api.PyInterpreterState_ThreadHead(api.PyInterpreterState_Main())
                while t:
                    n, t = n + 1, api.PyThreadState_Next(t)
                return n

            class Allocator(ctypes.Structure):
                _fields_ = [(name, ctypes.c_void_p) for name in ('ctx', 'malloc', 'calloc', 'realloc', 'free')]

            def allocator_owners():
                maps = []
                with open('/proc/self/maps') as f:
                    for line in f:
                        parts = line.split()
                        lo, hi = (int(x, 16) for x in parts[0].split('-'))
                        maps.append((lo, hi, parts[5] if len(parts) > 5 else ''))
                owners = []
                for domain in (0, 2):  # PYMEM_DOMAIN_RAW, PYMEM_DOMAIN_OBJ
                    a = Allocator()
                    ctypes.pythonapi.PyMem_GetAllocator(ctypes.c_int(domain), ctypes.byref(a))
                    path = next((p for lo, hi, p in maps if lo <= a.malloc < hi), '?')
                    owners.append('libpython' if 'libpython' in path else path)
                return owners

            def depth(f):
                n = 0
                while hasattr(f, '_pyhost_original'):
                    n, f = n + 1, f._pyhost_original
                assert type(f).__name__ == 'builtin_function_or_method', f
                return n

            def wrapper_depths():
                return [depth(_thread.start_new_thread), depth(_thread.start_joinable_thread),
                        depth(threading._start_joinable_thread)]

            def logging_hooks():
                import logging
                handlers = [h for h in logging.root.handlers if type(h).__name__ == 'PyhostHandler']
                hooks = [f for f in sys.meta_path if getattr(f, '_pyhost_logging_hook', False)]
                return [len(handlers), len(hooks) <= 1]

            def from_a_thread():
                import pyhost
                out = []
                t = threading.Thread(target=lambda: out.append(pyhost.call('it.refresh.echo', 'thread')))
                t.start()
                t.join(10)
                return out[0] if out else 'no answer'

            def retired_call(old):
                try:
                    old('it.refresh.echo', 'old')
                except BaseException as e:
                    return type(e).__name__
                return 'it answered'
            """;

    // ------------------------------------------------------------------ helpers

    /** Two contexts of each mode, each holding {@code ROUND}. */
    private List<PyContext> openTwoPerMode(int round) {
        List<PyContext> open = new ArrayList<>();
        for (String mode : modes()) {
            for (int i = 0; i < 2; i++) {
                PyContext ctx = create(mode);
                ctx.exec("ROUND = " + round);
                open.add(ctx);
            }
        }
        assertEquals(ALL_MODES.size() * 2, open.size());
        return open;
    }

    private static void assertAllClosedBecauseCoreStopped(String when, List<PyContext> open) {
        for (PyContext ctx : open) {
            assertTrue(when + ctx + " closed", ctx.isClosed());
            IllegalStateException error = assertThrows(IllegalStateException.class, () -> ctx.eval("ROUND"));
            assertEquals(when + "the reason", "context " + ctx.id() + " (" + ctx.mode() + ") is closed: pyhost core stopped",
                    error.getMessage());
            assertThrows(IllegalStateException.class, () -> ctx.exec("ROUND = 0"));
        }
    }

    /** The services of the core that just started. */
    private void rebind(String when) {
        factory = service(ContextFactory.class);
        preload = service(PreloadService.class);
        awaitCondition(() -> when + "the restarted core to bind every strategy; modes: " + factory.modes(),
                () -> factory.modes().equals(ALL_MODES));
    }

    private void assertSameCPythonAndSeedExamplesPass(String when) throws Exception {
        try (PyContext ctx = create(ContextFactory.WORKER)) {
            assertEquals(when + "what the main interpreter's sys held before survived: CPython was not initialized again", 42L,
                    ctx.eval("getattr(__import__('sys'), " + pyString(sysMarker) + ")"));
        }
        PythonDistribution distribution = service(PythonDistribution.class);
        assertEquals(when + "the same distribution", home, distribution.home());
        assertEquals(when + "the embedded Python was not unpacked again", unpackedAt,
                Files.getLastModifiedTime(home.resolve(UNPACKED_MARKER)));

        // Python reaches Java again in every mode: a core started again without a refresh keeps its
        // classes, and its upcall stub, retired at the stop, must be pointed at it again
        java.util.Hashtable<String, Object> name = new java.util.Hashtable<>();
        name.put(io.pyhost.api.PyFunction.NAME, "it.restart.echo");
        var echo = bundleContext.registerService(io.pyhost.api.PyFunction.class, (args, kwargs) -> "back " + args.get(0), name);
        try {
            for (String mode : ALL_MODES) {
                try (PyContext ctx = create(mode)) {
                    assertEquals(when + mode + ": pyhost.call after the restart", "back " + mode,
                            ctx.eval("__import__('pyhost').call('it.restart.echo', m)", java.util.Map.of("m", mode)));
                }
            }
        } finally {
            echo.unregister();
        }

        SeedExamplesIT seed = new SeedExamplesIT();
        seed.setUpPyhost();
        try {
            seed.basicUsage_preloadedImportsFunctionsAndVariablesAreVisibleInANewContext();
            seed.processIsolation_anAssignmentInOneContextDoesNotShowInAnother();
            seed.clearingPreload_affectsOnlyNewContexts();
            assertEquals(when + "the seed examples ran in every mode", ALL_MODES, Set.copyOf(seed.modes()));
        } finally {
            seed.tearDownPyhost();
        }
    }

    @FunctionalInterface
    private interface BundleAction {
        void run() throws Exception;
    }

    /** Runs {@code action} on another thread and fails if it takes longer than {@link #WAIT}. */
    private static void bounded(String what, BundleAction action) throws Exception {
        CompletableFuture<Void> done = new CompletableFuture<>();
        StrategyLifecycleIT.inThread("core-lifecycle", done, () -> {
            try {
                action.run();
            } catch (Exception e) {
                throw new IllegalStateException(what + " failed", e);
            }
            return null;
        });
        try {
            done.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            fail(what + " did not end within " + WAIT.toSeconds() + " s");
        }
    }
}
