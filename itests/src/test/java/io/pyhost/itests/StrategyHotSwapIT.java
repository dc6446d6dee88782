package io.pyhost.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.Version;

import io.pyhost.api.ContextFactory;
import io.pyhost.api.ContextOptions;
import io.pyhost.api.PyContext;
import io.pyhost.api.PyException;
import io.pyhost.spi.InterpreterStrategy;

/**
 * Issue 5, hot swap: {@code Bundle.update} of the owngil strategy bundle to "a second build of
 * itself" (its jar with another {@code Bundle-Version}, rebuilt at test time) closes the owngil
 * contexts the old build made, with an {@link IllegalStateException} naming the old bundle
 * version, leaves other modes' contexts alone, and new owngil contexts come from the new build;
 * no refresh of core, no restart. Ten updates in a row under four calling threads lose no call
 * to anything but the documented exceptions, hang nothing, and leave no interpreter or thread.
 * Issue 15: the same ten updates of the process strategy bundle, which also leave no child process.
 */
@RunWith(PaxExam.class)
public class StrategyHotSwapIT extends PyhostTestSupport {

    static final String INTERP_THREADS = "pyhost-interp-";
    static final String CALLER_THREADS = "hotswap-caller-";
    static final int UPDATES = 10;
    static final int CALLERS = 4;
    /** A caller's closure that came as the interruption of a call in flight, not naming a build. */
    static final String INTERRUPTED = "interrupted";
    static final String OWNGIL_BSN = StrategyBundles.symbolicNameForMode(ContextFactory.OWNGIL);
    /** What a call on an owngil context says once the strategy that made it left; group 1 is that strategy's bundle version. */
    static final Pattern CLOSED_BY_LEAVING = closedByLeaving(ContextFactory.OWNGIL);

    /** The mode whose strategy bundle the test updates: owngil unless a test says otherwise ({@link #swap}). */
    private String swapped;
    private Bundle swappedBundle;
    private byte[] builtJar;
    private Version built;
    private Pattern closedByLeaving;
    private Pattern closedAsCreated;
    private RecordedLog log;
    private final List<Caller> callers = new ArrayList<>();
    private volatile boolean callersStop;

    @Before
    public void findTheSwappedBundle() {
        swap(ContextFactory.OWNGIL);
        log = RecordedLog.of("io.pyhost.core.PythonContextFactory");
    }

    /** Makes {@code mode}'s strategy bundle the one this test updates . */
    private void swap(String mode) {
        swapped = mode;
        swappedBundle = StrategyBundles.installed(bundleContext, StrategyBundles.symbolicNameForMode(mode));
        builtJar = StrategyBundles.read(StrategyBundles.jarForMode(mode));
        built = StrategyBundles.version(builtJar);
        assertEquals("the installed " + mode + " bundle is the one in target/bundles", built, swappedBundle.getVersion());
        closedByLeaving = closedByLeaving(mode);
        closedAsCreated = Pattern.compile("context \\d+ \\(" + mode + "\\) was closed as it was created: its strategy for mode '" + mode
                + "' \\(" + Pattern.quote(StrategyBundles.symbolicNameForMode(mode)) + "/([^)]+)\\) left");
    }

    private static Pattern closedByLeaving(String mode) {
        return Pattern.compile("context \\d+ \\(" + mode + "\\) is closed: its strategy for mode '" + mode + "' \\("
                + Pattern.quote(StrategyBundles.symbolicNameForMode(mode)) + "/([^)]+)\\) left");
    }

    @After
    public void putStrategiesBack() throws Exception {
        if (log != null) {
            log.close();
        }
        callersStop = true;
        for (Caller caller : callers) {
            PyContext last = caller.current;
            if (last != null) {
                last.close();
            }
        }
        StrategyBundles.restoreAll(bundleContext);
        awaitCondition(() -> "every mode back after the test; modes: " + factory.modes(),
                () -> factory.modes().containsAll(Set.of(ContextFactory.WORKER, ContextFactory.SUBINTERP, ContextFactory.OWNGIL,
                        ContextFactory.PROCESS)));
    }

    @Test
    public void anUpdatedOwngilBundleClosesOnlyItsOwnContextsAndServesNewOnesFromTheNewBuild() throws Exception {
        PyContext worker = create(ContextFactory.WORKER);
        PyContext subinterp = create(ContextFactory.SUBINTERP);
        PyContext fromBuilt = create(ContextFactory.OWNGIL);
        for (PyContext ctx : List.of(worker, subinterp, fromBuilt)) {
            ctx.exec("MINE = " + pyString(ctx.mode()));
        }
        long bundleId = swappedBundle.getBundleId();

        Version first = hotswap(1);
        update(swappedBundle, first);
        assertEquals("the same bundle, now at the new version", bundleId, swappedBundle.getBundleId());
        assertEquals(first, swappedBundle.getVersion());
        assertEquals(Bundle.ACTIVE, swappedBundle.getState());
        awaitSwappedFrom(first);

        assertTrue(fromBuilt.isClosed());
        IllegalStateException error = assertThrows(IllegalStateException.class, () -> fromBuilt.eval("MINE"));
        assertEquals("context " + fromBuilt.id() + " (owngil) is closed: its strategy for mode 'owngil' (" + OWNGIL_BSN + "/" + built
                + ") left", error.getMessage());
        assertEquals("a worker context is untouched", "worker", worker.eval("MINE"));
        assertEquals("a subinterp context is untouched", "subinterp", subinterp.eval("MINE"));
        log.await("the INFO line of the built owngil strategy leaving with the one context it closed",
                line -> line.message().equals("pyhost: strategy for mode owngil from " + OWNGIL_BSN + "/" + built + " left; closed 1 context(s)"));
        log.await("the INFO line of the new build's strategy arriving",
                line -> line.message().startsWith("pyhost: strategy for mode owngil arrived from " + OWNGIL_BSN + "/" + first + " "));

        PyContext fromFirst = create(ContextOptions.mode(ContextFactory.OWNGIL).withModeWait(WAIT));
        fromFirst.exec("MINE = 'first'");
        assertEquals("first", fromFirst.eval("MINE"));

        Version second = hotswap(2);
        update(swappedBundle, second);
        awaitSwappedFrom(second);
        // the message names the strategy that made the context: so it came from the first rebuild
        assertEquals("context " + fromFirst.id() + " (owngil) is closed: its strategy for mode 'owngil' (" + OWNGIL_BSN + "/" + first
                + ") left", assertThrows(IllegalStateException.class, () -> fromFirst.eval("MINE")).getMessage());
        assertEquals("worker", worker.eval("MINE"));
        assertEquals("subinterp", subinterp.eval("MINE"));
        try (PyContext fromSecond = create(ContextOptions.mode(ContextFactory.OWNGIL).withModeWait(WAIT))) {
            assertEquals(6L, fromSecond.eval("2 * 3"));
        }
    }

    @Test
    public void aCallRunningWhenItsStrategyLeavesIsInterruptedAndTheUpdateEndsInBoundedTime() throws Exception {
        PyContext ctx = create(ContextFactory.OWNGIL);
        Path started = tempDir().resolve("started");
        CompletableFuture<Object> running = new CompletableFuture<>();
        StrategyLifecycleIT.inThread("endless-call", running, () -> {
            ctx.exec("open(" + pyString(started.toString()) + ", 'w').close()\nwhile True:\n    pass\n");
            return "returned";
        });
        awaitCondition(() -> "the endless call to start", () -> Files.exists(started) || running.isDone());
        assertFalse("the endless call is running: " + running, running.isDone());

        long before = System.nanoTime();
        update(swappedBundle, hotswap(1));
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - before);

        Throwable ended = assertThrows(java.util.concurrent.ExecutionException.class,
                () -> running.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).getCause();
        assertTrue("the running call was interrupted: " + ended, ended instanceof PyException e && "KeyboardInterrupt".equals(e.pythonType()));
        assertTrue("the update did not wait out core's 10 s close bound: " + tookMillis + " ms", tookMillis < 5_000);
        assertTrue(ctx.isClosed());
        String refused = assertThrows(IllegalStateException.class, () -> ctx.eval("1")).getMessage();
        Matcher closedBy = CLOSED_BY_LEAVING.matcher(refused);
        assertTrue(refused, closedBy.matches());
        assertEquals("closed by the build that made it", built.toString(), closedBy.group(1));
    }

    /**
     * Two callers churn (three calls per context, then close it; {@code create} without a wait,
     * so they meet the update window as {@link IllegalArgumentException}); two hold (keep a
     * context until its strategy leaves; {@code create} with {@code withModeWait}, so they never
     * see the mode absent). After each update every caller must have made a new context (a
     * churner three) and had it answer correctly before the next update starts; a holder's
     * closures therefore name the bundle versions in order: the built one, then hotswap1 to
     * hotswap9. A churner's creation that overlaps an update may also be refused with
     * {@code IllegalStateException} "was closed as it was created" (its strategy left meanwhile).
     */
    @Test
    public void tenUpdatesInARowUnderFourCallingThreadsLoseNoCallAndLeaveNothingBehind() throws Exception {
        tenUpdatesUnderFourCallingThreads();
    }

    /**
     * The same for the process strategy bundle: a call in flight when its strategy leaves gets a
     * result, {@code KeyboardInterrupt} or the closed context's {@link IllegalStateException}, never
     * hangs; and once the strategy stopped no child process of this JVM is left.
     */
    @Test
    public void tenUpdatesOfTheProcessBundleUnderFourCallingThreadsLoseNoCallAndLeaveNoChildProcess() throws Exception {
        swap(ContextFactory.PROCESS);
        tenUpdatesUnderFourCallingThreads();
        swappedBundle.stop();
        try {
            awaitCondition(() -> "no child process of this JVM once the process strategy stopped; alive: " + describe(liveDescendants()),
                    () -> liveDescendants().isEmpty());
        } finally {
            swappedBundle.start();
        }
    }

    private static List<ProcessHandle> liveDescendants() {
        return ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).toList();
    }

    private static String describe(List<ProcessHandle> processes) {
        return processes.stream().map(p -> p.pid() + " " + p.info().commandLine().orElse("?")).toList().toString();
    }

    private void tenUpdatesUnderFourCallingThreads() throws Exception {
        Set<String> interpThreadsBefore = threadsNamed(INTERP_THREADS);
        long interpretersBefore = liveInterpreters();

        long began = System.nanoTime();
        List<CompletableFuture<Caller>> running = new ArrayList<>();
        try {
            for (int i = 0; i < CALLERS; i++) {
                Caller caller = new Caller(i, i >= CALLERS / 2);
                callers.add(caller);
                CompletableFuture<Caller> done = new CompletableFuture<>();
                StrategyLifecycleIT.inThread(CALLER_THREADS + i, done, caller::run);
                running.add(done);
            }
            awaitProgress(callers, "before the first update");

            for (int n = 1; n <= UPDATES; n++) {
                Version next = hotswap(n);
                for (Caller caller : callers) {
                    caller.mark();
                }
                update(swappedBundle, next);
                assertEquals(next, swappedBundle.getVersion());
                awaitSwappedFrom(next);
                awaitProgress(callers, "after update " + n + " to " + next);
            }
        } finally {
            callersStop = true;
        }
        for (int i = 0; i < CALLERS; i++) {
            try {
                running.get(i).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                fail("caller " + i + " hangs: " + threadDump(CALLER_THREADS + i));
            }
        }

        StringBuilder report = new StringBuilder();
        callers.forEach(c -> report.append("\n  ").append(c));
        System.out.println("StrategyHotSwapIT: " + UPDATES + " updates in " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began)
                + " ms:" + report);
        for (Caller caller : callers) {
            assertTrue("no call ended in anything but the right value or a documented exception:" + report, caller.unexpected.isEmpty());
            assertTrue("every caller had calls answered:" + report, caller.correct.get() > UPDATES);
        }
        List<String> installed = new ArrayList<>();
        installed.add(built.toString());
        for (int n = 1; n <= UPDATES; n++) {
            installed.add(hotswap(n).toString());
        }
        for (Caller caller : callers) {
            for (String closedBy : caller.closures()) {
                assertTrue("caller " + caller.index + " saw a context closed by " + closedBy + ", a build that was never installed:"
                        + report, closedBy.equals(INTERRUPTED) || installed.contains(closedBy));
            }
        }
        // a holder's context made after update n-1 is closed by update n, and names the build n-1
        List<String> expected = installed.subList(0, UPDATES);
        for (Caller holder : callers.subList(CALLERS / 2, CALLERS)) {
            List<String> seen = holder.closures();
            assertEquals("holder " + holder.index + ": one closure per update, naming the builds in order " + expected + ", saw "
                    + seen + report, UPDATES, seen.size());
            for (int i = 0; i < UPDATES; i++) {
                assertTrue("holder " + holder.index + ", update " + (i + 1) + ": closed by " + seen.get(i) + ", expected "
                        + expected.get(i) + report, seen.get(i).equals(expected.get(i)) || seen.get(i).equals(INTERRUPTED));
            }
        }
        assertTrue("the churners met the update window (the mode absent) at least once:" + report,
                callers.subList(0, CALLERS / 2).stream().mapToLong(c -> c.absent.get()).sum() > 0);

        // What the callers still hold must be closed when their strategy leaves: stop the bundle.
        swappedBundle.stop();
        for (Caller caller : callers) {
            PyContext last = caller.current;
            if (last != null) {
                assertTrue("caller " + caller.index + "'s last context " + last + " is closed once " + swapped + " stopped", last.isClosed());
            }
        }
        assertEquals("no " + swapped + " context open once " + swapped + " stopped: " + openContexts(), List.of(),
                openContexts().stream().filter(c -> c.mode().equals(swapped)).toList());
        swappedBundle.start();
        awaitSwappedFrom(hotswap(UPDATES));

        awaitCondition(() -> "the interpreter threads back to their baseline " + interpThreadsBefore + "; live: "
                + threadsNamed(INTERP_THREADS), () -> threadsNamed(INTERP_THREADS).equals(interpThreadsBefore));
        assertEquals("live interpreters back to their baseline", interpretersBefore, liveInterpreters());
    }

    // ------------------------------------------------------------------ callers

    /** One thread that keeps creating contexts of the swapped mode and calling them. */
    private final class Caller {
        final int index;
        final boolean holds;
        final String tag;
        final AtomicLong created = new AtomicLong();
        final AtomicLong correct = new AtomicLong();
        final AtomicLong absent = new AtomicLong();
        final AtomicLong interrupted = new AtomicLong();
        final AtomicLong closedAsCreated = new AtomicLong();
        final Collection<String> closures = new ConcurrentLinkedQueue<>();
        final Collection<String> unexpected = new ConcurrentLinkedQueue<>();
        volatile PyContext current;
        volatile long correctOnCurrent;
        private volatile long createdAtMark;

        Caller(int index, boolean holds) {
            this.index = index;
            this.holds = holds;
            this.tag = "caller-" + index;
        }

        Caller run() {
            long n = 0;
            while (!callersStop) {
                PyContext ctx = current;
                if (ctx == null) {
                    ctx = createOne();
                    if (ctx == null) {
                        continue;
                    }
                }
                long k = n++;
                try {
                    Object result = ctx.eval("(TAG, n * 3)", Map.of("n", k));
                    if (!List.of(tag, 3 * k).equals(result)) {
                        unexpected("wrong value " + result + " for n=" + k + " from " + ctx);
                        continue;
                    }
                    correct.incrementAndGet();
                    correctOnCurrent++;
                    if (!holds && correctOnCurrent >= 3) {
                        ctx.close();
                        current = null;
                    }
                } catch (IllegalStateException e) {
                    Matcher m = closedByLeaving.matcher(String.valueOf(e.getMessage()));
                    if (m.matches()) {
                        closures.add(m.group(1));
                    } else {
                        unexpected(e + " from " + ctx);
                    }
                    current = null;
                } catch (PyException e) {
                    // issue 5: a call already running when the strategy leaves finishes or is interrupted
                    if ("KeyboardInterrupt".equals(e.pythonType()) && ctx.isClosed()) {
                        interrupted.incrementAndGet();
                        closures.add(INTERRUPTED);
                    } else {
                        unexpected(e + " from " + ctx);
                    }
                    current = null;
                } catch (RuntimeException e) {
                    unexpected(e + " from " + ctx);
                    current = null;
                }
            }
            return this;
        }

        private PyContext createOne() {
            ContextOptions options = ContextOptions.mode(swapped).withPreload("TAG = " + pyString(tag));
            try {
                PyContext ctx = factory.create(holds ? options.withModeWait(WAIT) : options);
                current = ctx;
                correctOnCurrent = 0;
                created.incrementAndGet();
                return ctx;
            } catch (IllegalArgumentException e) {
                String message = String.valueOf(e.getMessage());
                if (!holds && message.startsWith("no strategy for mode '" + swapped + "'; modes present: [")
                        && !message.substring(message.indexOf('[')).contains(swapped)) {
                    absent.incrementAndGet();
                    LockSupport.parkNanos(1_000_000); // back off while the bundle is between builds
                } else {
                    unexpected(e.toString());
                }
            } catch (IllegalStateException e) {
                Matcher m = StrategyHotSwapIT.this.closedAsCreated.matcher(String.valueOf(e.getMessage()));
                if (m.matches()) { // the update came while core was making it
                    closedAsCreated.incrementAndGet();
                    closures.add(m.group(1));
                } else {
                    unexpected("create: " + e);
                }
            } catch (RuntimeException e) {
                unexpected("create: " + e);
            }
            return null;
        }

        private void unexpected(String what) {
            if (unexpected.size() < 20) {
                unexpected.add(what);
            }
        }

        /** Remembers the creations so far; {@link #madeProgress()} then asks for a new context that answered. */
        void mark() {
            createdAtMark = created.get();
        }

        boolean madeProgress() {
            // a churner makes a few, so that some of its creations overlap the next update
            return created.get() >= createdAtMark + (holds ? 1 : 3) && correctOnCurrent > 0 || !unexpected.isEmpty();
        }

        List<String> closures() {
            return List.copyOf(closures);
        }

        @Override
        public String toString() {
            return (holds ? "holder " : "churner ") + index + ": " + created + " contexts, " + correct + " correct calls, "
                    + closures.size() + " closed by an update (" + interrupted + " of them interrupted in flight, " + closedAsCreated
                    + " as they were created), " + absent + " creates in the update window, unexpected: " + unexpected;
        }
    }

    private void awaitProgress(List<Caller> callers, String when) {
        awaitCondition(() -> "every caller to make a new " + swapped + " context and call it " + when + ": " + callers,
                () -> callers.stream().allMatch(Caller::madeProgress));
        for (Caller caller : callers) {
            caller.mark();
        }
    }

    // ------------------------------------------------------------------ bundles

    private Version hotswap(int n) {
        return new Version(built.getMajor(), built.getMinor(), built.getMicro(), "hotswap" + n);
    }

    /** {@code bundle.update} to "a second build" at {@code version}, bounded by {@link #WAIT}. */
    private void update(Bundle bundle, Version version) throws Exception {
        byte[] rebuilt = StrategyBundles.rebuiltAs(builtJar, version);
        CompletableFuture<Void> updated = new CompletableFuture<>();
        StrategyLifecycleIT.inThread("hotswap-updater", updated, () -> {
            try {
                bundle.update(new ByteArrayInputStream(rebuilt));
            } catch (org.osgi.framework.BundleException e) {
                throw new IllegalStateException(e);
            }
            return null;
        });
        try {
            updated.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            fail("Bundle.update to " + version + " did not end within " + WAIT.toSeconds() + " s: " + threadDump("hotswap-updater"));
        }
        assertEquals(version, bundle.getVersion());
    }

    /** Waits until the swapped mode (owngil unless {@link #swap}) is served by a strategy registered by its bundle at {@code version}. */
    private void awaitSwappedFrom(Version version) {
        awaitCondition(() -> "mode " + swapped + " from " + swappedBundle.getSymbolicName() + "/" + version + "; modes: " + factory.modes(),
                () -> factory.modes().contains(swapped) && swappedStrategyVersions().equals(List.of(version)));
    }

    private List<Version> swappedStrategyVersions() {
        try {
            Collection<ServiceReference<InterpreterStrategy>> found = bundleContext.getServiceReferences(InterpreterStrategy.class,
                    "(" + MODE_PROPERTY + "=" + swapped + ")");
            return found.stream().map(r -> r.getBundle().getVersion()).toList();
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new AssertionError(e);
        }
    }

    /** The stacks of live threads whose name starts with {@code prefix}, for a failure message. */
    private static String threadDump(String prefix) {
        StringBuilder out = new StringBuilder();
        Thread.getAllStackTraces().forEach((thread, stack) -> {
            if (thread.getName().startsWith(prefix) || thread.getName().startsWith(INTERP_THREADS)) {
                out.append("\n\"").append(thread.getName()).append("\" ").append(thread.getState());
                for (StackTraceElement frame : stack) {
                    out.append("\n    at ").append(frame);
                }
            }
        });
        return out.toString();
    }
}
