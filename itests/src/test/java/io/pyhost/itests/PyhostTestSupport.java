package io.pyhost.itests;

import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.options;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import org.junit.After;
import org.junit.Before;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceReference;
import org.osgi.util.tracker.ServiceTracker;

import io.pyhost.api.ContextFactory;
import io.pyhost.api.ContextOptions;
import io.pyhost.api.PreloadService;
import io.pyhost.api.PyContext;

/**
 * What every pyhost integration test shares: a real Felix with real SCR, the pyhost bundles as
 * built by this reactor and the embedded CPython; services waited for with a timeout; the
 * {@link PreloadService} reset and contexts closed around each test.
 *
 * <p>One framework per test class ({@link PerClass}): the native container runs every class in
 * the failsafe JVM, so CPython is initialized once and each later class's core bundle finds it
 * initialized, as a restarted core does.
 */
@ExamReactorStrategy(PerClass.class)
public abstract class PyhostTestSupport {

    /**
     * The strategy bundles provisioned, by file name in {@code target/bundles} (an artifactId:
     * the dependency plugin strips the versions). Adding a mode is one line here plus its
     * runtime dependency in itests/pom.xml; the mode-parameterized tests then cover it.
     */
    static final List<String> STRATEGY_BUNDLES = List.of(
            "pyhost-strategy-worker",
            "pyhost-strategy-subinterp",
            "pyhost-strategy-owngil",
            "pyhost-strategy-process");

    /** Everything else, in start order. */
    static final List<String> PLATFORM_BUNDLES = List.of(
            "org.osgi.util.function",
            "org.osgi.util.promise",
            "org.osgi.service.component",
            "org.apache.felix.scr",
            "org.apache.felix.configadmin",
            "pyhost-api",
            "pyhost-python",
            "pyhost-core");

    /** How long a service, a mode or a thread's end may take to show up. */
    static final Duration WAIT = Duration.ofSeconds(30);

    /** BSN prefix of strategy bundles (DESIGN.md: BSN = root package). */
    static final String STRATEGY_BSN_PREFIX = "io.pyhost.strategy.";

    /** Service property naming a strategy's mode ({@code io.pyhost.spi.InterpreterStrategy.MODE}). */
    static final String MODE_PROPERTY = "pyhost.mode";

    @Configuration
    public Option[] configuration() {
        Path dir = Paths.get(System.getProperty("pyhost.itest.bundles", "target/bundles"));
        List<Option> options = new ArrayList<>();
        options.add(junitBundles());
        options.add(systemProperty("ds.loglevel").value("warn"));
        options.add(systemProperty("org.ops4j.pax.logging.DefaultServiceLog.level").value("INFO"));
        for (String name : Stream.of(PLATFORM_BUNDLES, STRATEGY_BUNDLES, moreBundles()).flatMap(List::stream).toList()) {
            Path jar = dir.resolve(name + ".jar");
            if (!Files.isRegularFile(jar)) {
                throw new IllegalStateException(jar + " is missing: add " + name
                        + " as a runtime dependency of itests/pom.xml (the dependency plugin copies those at pre-integration-test)");
            }
            options.add(bundle(jar.toUri().toString()).start());
        }
        return options(options.toArray(Option[]::new));
    }

    /**
     * Bundles from {@code target/bundles} (by artifactId) that a test class provisions and starts
     * after the platform and the strategies, before the probe: none unless a class says so. They
     * must be runtime dependencies of itests/pom.xml.
     */
    protected List<String> moreBundles() {
        return List.of();
    }

    // ------------------------------------------------------------------ per test

    protected BundleContext bundleContext;
    protected ContextFactory factory;
    protected PreloadService preload;

    private final List<ServiceTracker<?, ?>> trackers = new ArrayList<>();
    private final List<PyContext> created = new ArrayList<>();
    private final List<Path> tempDirs = new ArrayList<>();
    private List<String> baselinePaths;
    private List<String> baselineImports;

    @Before
    public final void setUpPyhost() {
        bundleContext = FrameworkUtil.getBundle(getClass()).getBundleContext();
        factory = service(ContextFactory.class);
        preload = service(PreloadService.class);
        baselinePaths = preload.paths();
        baselineImports = preload.imports();
        preload.clearCode();
        awaitStrategies();
    }

    @After
    public final void tearDownPyhost() {
        try {
            for (PyContext context : created) {
                context.close();
            }
            if (preload != null) {
                resetPreload();
            }
            for (Path dir : tempDirs) {
                deleteRecursively(dir);
            }
        } finally {
            created.clear();
            tempDirs.clear();
            trackers.forEach(ServiceTracker::close);
            trackers.clear();
        }
    }

    /** Clears the application code and removes the paths and imports added since the test began. */
    protected final void resetPreload() {
        preload.clearCode();
        for (String path : preload.paths()) {
            if (!baselinePaths.contains(path)) {
                preload.removePath(path);
            }
        }
        for (String module : preload.imports()) {
            if (!baselineImports.contains(module)) {
                preload.removeImport(module);
            }
        }
    }

    // ------------------------------------------------------------------ services

    /** The service of {@code type}, waited for up to {@link #WAIT}; held until the test ends. */
    protected final <T> T service(Class<T> type) {
        ServiceTracker<T, T> tracker = new ServiceTracker<>(bundleContext, type, null);
        tracker.open();
        trackers.add(tracker);
        try {
            T service = tracker.waitForService(WAIT.toMillis());
            if (service == null) {
                fail("no " + type.getName() + " service within " + WAIT.toSeconds() + " s; bundles: " + bundleStates());
            }
            return service;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for " + type.getName(), e);
        }
    }

    /**
     * Waits until every provisioned strategy bundle is active with its strategy registered and
     * bound by the factory, so the modes to test do not depend on timing. Fails (never skips)
     * when a strategy bundle did not come up, or when {@code worker} is absent.
     */
    private void awaitStrategies() {
        List<Bundle> strategyBundles = Stream.of(bundleContext.getBundles())
                .filter(b -> b.getSymbolicName() != null && b.getSymbolicName().startsWith(STRATEGY_BSN_PREFIX))
                .toList();
        assertTrue("no strategy bundle installed; bundles: " + bundleStates(), !strategyBundles.isEmpty());
        Set<String> expected = new TreeSet<>();
        for (Bundle b : strategyBundles) {
            awaitCondition(() -> "bundle " + b.getSymbolicName() + " to register its strategy; " + whyNotActive(b),
                    () -> modeOf(b) != null);
            expected.add(modeOf(b));
        }
        awaitCondition(() -> "the ContextFactory to bind modes " + expected + "; it has " + factory.modes(),
                () -> factory.modes().containsAll(expected));
        assertTrue("mode 'worker' is missing; modes present: " + factory.modes(), factory.modes().contains(ContextFactory.WORKER));
    }

    private static String modeOf(Bundle b) {
        ServiceReference<?>[] registered = b.getRegisteredServices();
        if (registered != null) {
            for (ServiceReference<?> ref : registered) {
                if (ref.getProperty(MODE_PROPERTY) instanceof String mode) {
                    return mode;
                }
            }
        }
        return null;
    }

    private static String whyNotActive(Bundle b) {
        if (b.getState() == Bundle.ACTIVE) {
            return "it is active but has registered no service with " + MODE_PROPERTY;
        }
        try {
            b.start(); // only to learn why it is not active: the exception says what did not resolve
            return "it was in state " + b.getState();
        } catch (BundleException e) {
            return "it does not start: " + e.getMessage();
        }
    }

    /** Every bundle with its state, for failure messages. */
    protected final String bundleStates() {
        StringBuilder out = new StringBuilder();
        for (Bundle b : bundleContext.getBundles()) {
            out.append(b.getSymbolicName()).append('=').append(switch (b.getState()) {
                case Bundle.ACTIVE -> "ACTIVE";
                case Bundle.RESOLVED -> "RESOLVED";
                case Bundle.INSTALLED -> "INSTALLED";
                case Bundle.STARTING -> "STARTING";
                case Bundle.STOPPING -> "STOPPING";
                default -> String.valueOf(b.getState());
            }).append(' ');
        }
        return out.toString().trim();
    }

    /**
     * Waits, up to {@link #WAIT}, until {@code condition} holds, checking every few
     * milliseconds; fails with "timed out waiting for " + what.
     */
    protected static void awaitCondition(java.util.function.Supplier<String> what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("timed out after " + WAIT.toSeconds() + " s waiting for " + what.get());
            }
            LockSupport.parkNanos(Duration.ofMillis(5).toNanos());
        }
    }

    // ------------------------------------------------------------------ modes

    /** The modes present, worker first, then by name; fails if worker is missing. */
    protected final List<String> modes() {
        Set<String> present = factory.modes();
        assertTrue("mode 'worker' is missing; modes present: " + present, present.contains(ContextFactory.WORKER));
        List<String> ordered = new ArrayList<>(new TreeSet<>(present));
        ordered.remove(ContextFactory.WORKER);
        ordered.addFirst(ContextFactory.WORKER);
        return ordered;
    }

    /** A test body run once per mode. */
    @FunctionalInterface
    protected interface ModeTest {
        void run(String mode) throws Exception;
    }

    /**
     * Runs {@code test} for every mode present, resetting the preload after each, and fails
     * naming every mode that failed (one mode's failure does not hide another's).
     */
    protected final void forEachMode(ModeTest test) {
        Map<String, Throwable> failures = new LinkedHashMap<>();
        for (String mode : modes()) {
            try {
                test.run(mode);
            } catch (Throwable t) {
                failures.put(mode, t);
            } finally {
                closeCreated();
                resetPreload();
            }
        }
        if (!failures.isEmpty()) {
            // No cause: Pax Exam reports the root cause of a failure, which would hide this summary.
            StringBuilder message = new StringBuilder("failed in mode(s) " + failures.keySet() + " of " + modes() + ":");
            failures.forEach((mode, t) -> message.append("\n  [").append(mode).append("] ").append(t).append(where(t)));
            AssertionError error = new AssertionError(message.toString());
            failures.values().forEach(error::addSuppressed);
            throw error;
        }
    }

    /** The first frame of a test class in {@code t}'s stack: where the test failed. */
    private static String where(Throwable t) {
        for (StackTraceElement frame : t.getStackTrace()) {
            if (frame.getClassName().startsWith(PyhostTestSupport.class.getPackageName())
                    && !frame.getClassName().equals(PyhostTestSupport.class.getName())) {
                return " (at " + frame.getFileName() + ":" + frame.getLineNumber() + ")";
            }
        }
        return "";
    }

    // ------------------------------------------------------------------ contexts

    /** A new context of {@code mode}; also closed after the test if the test did not. */
    protected final PyContext create(String mode) {
        return create(ContextOptions.mode(mode));
    }

    protected final PyContext create(ContextOptions options) {
        PyContext context = factory.create(options);
        assertNotNull("create(" + options + ") returned null", context);
        created.add(context);
        return context;
    }

    private void closeCreated() {
        for (PyContext context : created) {
            context.close();
        }
        created.clear();
    }

    /** The contexts open in the factory right now ({@link ContextFactory#contexts()}). */
    protected final List<io.pyhost.api.ContextInfo> openContexts() {
        return factory.contexts();
    }

    /**
     * CPython's own count of live interpreters, {@code len(_interpreters.list_all())}, taken in a
     * worker context made and closed for it.
     */
    protected final long liveInterpreters() {
        try (PyContext probe = factory.create(ContextFactory.WORKER)) {
            probe.exec("import _interpreters");
            return (Long) probe.eval("len(_interpreters.list_all())");
        }
    }

    /** Live threads whose name starts with {@code prefix}. */
    protected static Set<String> threadsNamed(String prefix) {
        Set<String> names = new HashSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.isAlive() && t.getName().startsWith(prefix)) {
                names.add(t.getName());
            }
        }
        return names;
    }

    // ------------------------------------------------------------------ files

    /** A directory deleted after the test. */
    protected final Path tempDir() {
        try {
            Path dir = Files.createTempDirectory("pyhost-it-");
            tempDirs.add(dir);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A Python module name no earlier test (nor an earlier run of this JVM's interpreter) used. */
    protected static String uniqueModuleName(String stem) {
        return "pyhost_it_" + stem + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    /** Writes {@code dir/module.py}. */
    protected static Path writeModule(Path dir, String module, String source) {
        try {
            return Files.writeString(dir.resolve(module + ".py"), source, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // a leftover temp directory does not make a test wrong
        }
    }

    /** A Python string literal of {@code text} (for paths written into preload code). */
    protected static String pyString(String text) {
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
}
