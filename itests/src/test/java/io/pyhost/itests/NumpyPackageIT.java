package io.pyhost.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.Assume;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.osgi.framework.Bundle;
import org.osgi.framework.Version;
import org.osgi.framework.wiring.BundleCapability;
import org.osgi.framework.wiring.BundleRevision;

import io.pyhost.api.ContextFactory;
import io.pyhost.api.PyContext;
import io.pyhost.api.PyException;
import io.pyhost.spi.PythonPackage;

/**
 * DESIGN.md "Packages and buffers": the bundle io.pyhost.package.numpy offers numpy 2.4.2 with
 * OpenBLAS to worker contexts (arrays, ufuncs, linalg, random), and in sub-interpreter contexts
 * {@code import numpy} raises an ImportError saying that numpy needs a worker context, while the
 * context keeps working and a refused attempt never spoils numpy for worker contexts.
 */
@RunWith(PaxExam.class)
public class NumpyPackageIT extends PyhostTestSupport {
    static final String NUMPY_BSN = "io.pyhost.package.numpy";
    static final String WORKER_ONLY = "numpy needs a worker context (mode \"worker\")";

    private Path numpyDir;

    @Override
    protected List<String> moreBundles() {
        return List.of("pyhost-package-numpy");
    }

    @Before
    public void awaitNumpy() {
        PythonPackage numpy = service(PythonPackage.class);
        assertEquals(1, numpy.paths().size());
        numpyDir = numpy.paths().get(0);
        awaitCondition(() -> "the preload paths to hold " + numpyDir + "; they are " + preload.paths(),
                () -> preload.paths().contains(numpyDir.toString()));
    }

    @Test
    public void theBundleProvidesThePythonPackageCapability() {
        Bundle bundle = Stream.of(bundleContext.getBundles()).filter(b -> NUMPY_BSN.equals(b.getSymbolicName())).findFirst()
                .orElseThrow(() -> new AssertionError("no " + NUMPY_BSN + "; bundles: " + bundleStates()));
        List<BundleCapability> capabilities = bundle.adapt(BundleRevision.class).getDeclaredCapabilities(PythonPackage.NAMESPACE);
        assertEquals(1, capabilities.size());
        Map<String, Object> attributes = capabilities.get(0).getAttributes();
        assertEquals("numpy", attributes.get(PythonPackage.NAMESPACE));
        assertEquals(new Version("2.4.2"), attributes.get("version"));
    }

    /** Issue 14 items 4-5 with numpy: the same memory both ways, no copy. */
    @Test
    public void numpySharesMemoryWithJavaBothWays() {
        PyContext ctx = create(ContextFactory.WORKER);
        ctx.exec("import numpy as np\n"
                + "def total_and_scale(view):\n"
                + "    a = np.frombuffer(view, dtype='float64')\n"
                + "    a *= 2.0\n" // numpy writes Java's memory
                + "    return float(a.sum())\n");
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            int n = 1_000_000;
            java.lang.foreign.MemorySegment doubles = arena.allocate(java.lang.foreign.ValueLayout.JAVA_DOUBLE, n);
            for (int i = 0; i < n; i++) {
                doubles.setAtIndex(java.lang.foreign.ValueLayout.JAVA_DOUBLE, i, 1.5);
            }
            assertEquals(3.0 * n, ctx.call(null, "total_and_scale", List.of(doubles), null));
            assertEquals("numpy's write is in Java's memory", 3.0,
                    doubles.getAtIndex(java.lang.foreign.ValueLayout.JAVA_DOUBLE, n - 1), 0.0);
        }
        ctx.exec("grid = np.arange(12.0).reshape(3, 4)");
        try (io.pyhost.api.PyObject grid = ctx.evalObject("grid"); io.pyhost.api.PyBuffer buffer = grid.buffer()) {
            assertEquals("d", buffer.format());
            assertEquals(List.of(3L, 4L), java.util.Arrays.stream(buffer.shape()).boxed().toList());
            assertEquals(List.of(32L, 8L), java.util.Arrays.stream(buffer.strides()).boxed().toList());
            java.lang.foreign.MemorySegment segment = buffer.segment();
            assertEquals(7.0, segment.get(java.lang.foreign.ValueLayout.JAVA_DOUBLE, 1 * 32 + 3 * 8), 0.0);
            segment.set(java.lang.foreign.ValueLayout.JAVA_DOUBLE, 0, -5.0);
            assertEquals("Java's write is in numpy's array", -5.0, ctx.eval("float(grid[0, 0])"));
            ctx.exec("grid[2, 3] = 99.0");
            assertEquals(99.0, segment.get(java.lang.foreign.ValueLayout.JAVA_DOUBLE, 2 * 32 + 3 * 8), 0.0);
            buffer.close();
            assertThrows(IllegalStateException.class, () -> segment.get(java.lang.foreign.ValueLayout.JAVA_DOUBLE, 0));
        }
        try (io.pyhost.api.PyObject column = ctx.evalObject("grid[:, 1]"); io.pyhost.api.PyBuffer buffer = column.buffer()) {
            assertEquals("a strided view: every 4th double", List.of(32L), java.util.Arrays.stream(buffer.strides()).boxed().toList());
            assertEquals(9.0, buffer.segment().get(java.lang.foreign.ValueLayout.JAVA_DOUBLE, 2 * 32), 0.0);
        }
    }

    @Test
    public void numpyWorksInAWorkerContext() {
        PyContext ctx = create(ContextFactory.WORKER);
        ctx.exec("import numpy as np");
        assertEquals("2.4.2", ctx.eval("np.__version__"));
        assertTrue("numpy comes from the package bundle's directory " + numpyDir,
                ((String) ctx.eval("np.__file__")).startsWith(numpyDir.toString()));
        assertEquals(6L, ctx.eval("int(np.arange(4).sum())"));
        assertEquals(List.of(1.0, 2.0, 3.0), ctx.eval("np.sqrt(np.array([1.0, 4.0, 9.0])).tolist()"));        // a ufunc
        assertEquals(List.of(List.of(19L, 22L), List.of(43L, 50L)), ctx.eval("(np.array([[1, 2], [3, 4]]) @ np.array([[5, 6], [7, 8]])).tolist()"));
        assertEquals(300.0, ctx.eval("float((np.ones((300, 300)) @ np.ones((300, 300)))[0, 0])"));       // BLAS dgemm
        assertEquals(List.of(2.0, 3.0), ctx.eval("np.linalg.solve(np.array([[3.0, 1.0], [1.0, 2.0]]), np.array([9.0, 8.0])).round(12).tolist()"));
        assertEquals(true, ctx.eval("bool(np.allclose(np.linalg.inv(np.array([[4.0, 7.0], [2.0, 6.0]])) @ np.array([[4.0, 7.0], [2.0, 6.0]]), np.eye(2)))"));
        ctx.exec("rng = np.random.default_rng(2024)\nsample = rng.normal(size=100_000)");
        assertEquals(true, ctx.eval("abs(float(sample.mean())) < 0.02 and abs(float(sample.std()) - 1.0) < 0.02"));
        assertEquals(ctx.eval("np.random.default_rng(7).integers(0, 1000, 5).tolist()"),
                ctx.eval("np.random.default_rng(7).integers(0, 1000, 5).tolist()"));
    }

    @Test
    public void importingNumpyInASubInterpreterRaisesAClearImportErrorAndTheContextSurvives() {
        // process contexts run their own CPython's main interpreter: numpy works there (numpyWorksInProcessContexts...)
        List<String> subModes = modes().stream().filter(m -> !m.equals(ContextFactory.WORKER) && !m.equals(ContextFactory.PROCESS)).toList();
        Assume.assumeTrue("no sub-interpreter mode present: " + modes(), !subModes.isEmpty());
        forEachMode(mode -> {
            if (!subModes.contains(mode)) {
                return;
            }
            PyContext ctx = create(mode);
            for (int attempt = 1; attempt <= 2; attempt++) {
                PyException refused = assertThrows(PyException.class, () -> ctx.exec("import numpy"));
                assertEquals("[" + mode + "] attempt " + attempt, "ImportError", refused.pythonType());
                assertTrue("[" + mode + "] " + refused.pythonMessage(), refused.pythonMessage().startsWith(WORKER_ONLY));
            }
            assertEquals("[" + mode + "] the context keeps answering", 2L, ctx.eval("1 + 1"));
            assertEquals("[" + mode + "] and keeps its imports", "{}", ctx.eval("__import__('json').dumps({})"));
        });
        // a refused attempt in a sub-interpreter never loads numpy's C core there, so worker contexts still can
        try (PyContext worker = factory.create(ContextFactory.WORKER)) {
            assertEquals(10L, worker.eval("int(__import__('numpy').arange(5).sum())"));
        }
    }

    /**
     * Issue 15 item 6: numpy (with OpenBLAS, which the child finds as this JVM did) in process
     * contexts, two of them at once. That they run in parallel is shown without timing: each
     * child, halfway through its numpy work, leaves a mark and waits for the other's; run one
     * after the other, the first would wait in vain.
     */
    @Test
    public void numpyWorksInProcessContextsAndTwoOfThemRunItInParallel() throws Exception {
        Path meeting = tempDir();
        List<PyContext> contexts = List.of(create(ContextFactory.PROCESS), create(ContextFactory.PROCESS));
        String work = """
                import numpy as np, os, time
                def work(me, other, meeting):
                    a = np.linalg.solve(np.array([[3.0, 1.0], [1.0, 2.0]]), np.array([9.0, 8.0])).round(12).tolist()
                    open(os.path.join(meeting, me), 'w').close()
                    deadline = time.monotonic() + 30
                    while not os.path.exists(os.path.join(meeting, other)):
                        if time.monotonic() > deadline:
                            return 'never met ' + other
                        time.sleep(0.005)
                    b = float((np.ones((200, 200)) @ np.ones((200, 200)))[0, 0])   # BLAS dgemm
                    return [np.__version__, np.__file__, a, b, os.getpid()]
                """;
        for (PyContext ctx : contexts) {
            ctx.exec(work);
        }
        List<CompletableFuture<Object>> results = List.of(
                contexts.get(0).callAsync(null, "work", List.of("a", "b", meeting.toString()), null),
                contexts.get(1).callAsync(null, "work", List.of("b", "a", meeting.toString()), null));
        java.util.Set<Object> pids = new java.util.HashSet<>();
        for (CompletableFuture<Object> result : results) {
            Object value = result.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertTrue("the two children met halfway: " + value, value instanceof List);
            List<?> got = (List<?>) value;
            assertEquals("2.4.2", got.get(0));
            assertTrue("numpy comes from the package bundle's directory " + numpyDir + ": " + got.get(1),
                    ((String) got.get(1)).startsWith(numpyDir.toString()));
            assertEquals(List.of(2.0, 3.0), got.get(2));
            assertEquals(200.0, got.get(3));
            pids.add(got.get(4));
        }
        assertEquals("two children: " + pids, 2, pids.size());
        assertTrue("not this JVM: " + pids, !pids.contains(ProcessHandle.current().pid()));
    }

    @Test
    public void workerContextsKeepWorkingWithNumpyAlongsideSubInterpreters() {
        PyContext worker = create(ContextFactory.WORKER);
        worker.exec("import numpy as np\nA = np.arange(6).reshape(2, 3)");
        for (String mode : modes()) {
            try (PyContext other = factory.create(mode)) {
                assertNotNull(other.eval("1"));
            }
        }
        assertEquals(List.of(3L, 12L), worker.eval("A.sum(axis=1).tolist()"));
    }
}
