package io.pyhost.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;

import io.pyhost.api.ContextFactory;
import io.pyhost.api.ContextOptions;
import io.pyhost.api.PyContext;
import io.pyhost.spi.Interpreter;
import io.pyhost.spi.InterpreterStrategy;
import io.pyhost.spi.Interpreters;

/**
 * Issue 5, two strategies for one mode: the higher {@code service.ranking} serves new contexts
 * (greedy); a context keeps the strategy that made it until that strategy leaves, and only then
 * is closed, with the {@link IllegalStateException} naming it. Also the log trail: one INFO line
 * when a strategy arrives, one when it leaves with how many contexts it closed, and a WARNING
 * naming the bundle when a strategy throws from {@code open}. The competing strategies are
 * registered by this test ({@code interpreters.main()}, counting their calls).
 */
@RunWith(PaxExam.class)
public class StrategyRankingIT extends PyhostTestSupport {

    private final List<ServiceRegistration<?>> registrations = new ArrayList<>();
    private RecordedLog log;
    private String probe; // this test bundle as core names a strategy's origin: BSN/version

    /** A worker strategy: contexts in the main interpreter, each {@code open} counted. */
    static final class CountingWorkerStrategy implements InterpreterStrategy {
        final AtomicInteger opened = new AtomicInteger();

        @Override
        public Interpreter open(Interpreters interpreters, ContextOptions options) {
            opened.incrementAndGet();
            return interpreters.main();
        }
    }

    @Before
    public void recordLog() {
        log = RecordedLog.of("io.pyhost.core.PythonContextFactory");
        Bundle self = bundleContext.getBundle();
        probe = self.getSymbolicName() + "/" + self.getVersion();
    }

    @After
    public void unregisterAndPutStrategiesBack() throws Exception {
        if (log != null) {
            log.close();
        }
        for (ServiceRegistration<?> registration : registrations) {
            try {
                registration.unregister();
            } catch (IllegalStateException alreadyGone) {
                // the test unregistered it
            }
        }
        StrategyBundles.restoreAll(bundleContext);
        awaitCondition(() -> "every mode back after the test; modes: " + factory.modes(),
                () -> factory.modes().containsAll(Set.of(ContextFactory.WORKER, ContextFactory.SUBINTERP, ContextFactory.OWNGIL, ContextFactory.PROCESS)));
    }

    @Test
    public void aHigherRankedWorkerStrategyServesNewContextsAndEveryContextKeepsItsStrategyUntilThatLeaves() throws Exception {
        Bundle workerBundle = StrategyBundles.installed(bundleContext, StrategyBundles.symbolicNameForMode(ContextFactory.WORKER));
        String bundled = workerBundle.getSymbolicName() + "/" + workerBundle.getVersion();
        PyContext before = create(ContextFactory.WORKER);
        before.exec("MINE = 'before'");

        CountingWorkerStrategy ranked = new CountingWorkerStrategy();
        ServiceRegistration<InterpreterStrategy> registration = register(ranked, ContextFactory.WORKER, 10);
        long serviceId = (Long) registration.getReference().getProperty(Constants.SERVICE_ID);
        log.await("the INFO line of the ranked strategy arriving", line -> line.level() == Level.INFO && line.message()
                .equals("pyhost: strategy for mode worker arrived from " + probe + " (service " + serviceId + ", ranking 10)"));

        PyContext taken = create(ContextFactory.WORKER);
        assertEquals("the higher-ranked strategy made the new context", 1, ranked.opened.get());
        taken.exec("MINE = 'taken'");
        PyContext takenToo = create(ContextFactory.WORKER);
        assertEquals(2, ranked.opened.get());
        assertEquals("the context made before keeps working", "before", before.eval("MINE"));
        assertEquals(Set.of(ContextFactory.WORKER, ContextFactory.SUBINTERP, ContextFactory.OWNGIL, ContextFactory.PROCESS), factory.modes());

        // the bundle's worker strategy leaves: only the context it made is closed
        workerBundle.stop();
        assertTrue("one worker strategy is still present: " + factory.modes(), factory.modes().contains(ContextFactory.WORKER));
        assertEquals("context " + before.id() + " (worker) is closed: its strategy for mode 'worker' (" + bundled + ") left",
                assertThrows(IllegalStateException.class, () -> before.eval("MINE")).getMessage());
        assertEquals("the ranked strategy's contexts are untouched", "taken", taken.eval("MINE"));
        log.await("the INFO line of the bundle's strategy leaving with the one context it made",
                line -> line.message().equals("pyhost: strategy for mode worker from " + bundled + " left; closed 1 context(s)"));

        // it comes back, ranked 0: the test's strategy (ranked 10) still serves new contexts
        workerBundle.start();
        awaitCondition(() -> "the bundle's worker strategy to come back", () -> log.lines().stream()
                .anyMatch(line -> line.message().startsWith("pyhost: strategy for mode worker arrived from " + bundled)));
        PyContext third = create(ContextFactory.WORKER);
        assertEquals(3, ranked.opened.get());

        // the ranked strategy leaves: the three contexts it made are closed; the bundle's serves again
        registration.unregister();
        for (PyContext ctx : List.of(taken, takenToo, third)) {
            assertTrue(ctx + " closed", ctx.isClosed());
            assertEquals("context " + ctx.id() + " (worker) is closed: its strategy for mode 'worker' (" + probe + ") left",
                    assertThrows(IllegalStateException.class, () -> ctx.eval("1")).getMessage());
        }
        log.await("the INFO line of the ranked strategy leaving with its three contexts",
                line -> line.message().equals("pyhost: strategy for mode worker from " + probe + " left; closed 3 context(s)"));
        try (PyContext after = create(ContextFactory.WORKER)) {
            assertEquals(2L, after.eval("1 + 1"));
            assertEquals("not made by the strategy that left", 3, ranked.opened.get());
        }
    }

    @Test
    public void aLowerOrEqualRankedStrategyDoesNotTakeOverAndLeavesClosingNothing() {
        CountingWorkerStrategy lower = new CountingWorkerStrategy();
        CountingWorkerStrategy equal = new CountingWorkerStrategy(); // ranking 0 like the bundle's, but a later service id
        ServiceRegistration<InterpreterStrategy> lowerRegistration = register(lower, ContextFactory.WORKER, -5);
        ServiceRegistration<InterpreterStrategy> equalRegistration = register(equal, ContextFactory.WORKER, 0);
        awaitCondition(() -> "both to be bound; log: " + log.lines(), () -> log.lines(line -> line.message()
                .startsWith("pyhost: strategy for mode worker arrived from " + probe + " ")).size() == 2);

        try (PyContext ctx = create(ContextFactory.WORKER)) {
            assertEquals(2L, ctx.eval("1 + 1"));
        }
        assertEquals("ranked below the bundle's strategy: never asked", 0, lower.opened.get());
        assertEquals("ranked equal, registered later: never asked", 0, equal.opened.get());

        lowerRegistration.unregister();
        equalRegistration.unregister();
        assertEquals("two leaving lines, each closing nothing: " + log.lines(), 2, log.lines(line -> line.message()
                .equals("pyhost: strategy for mode worker from " + probe + " left; closed 0 context(s)")).size());
    }

    /**
     * {@code service.ranking} may change while a service is registered
     * ({@code ServiceRegistration.setProperties}); the higher ranking serves new contexts from then on.
     */
    @Test
    public void aRankingRaisedWhileRegisteredTakesOverNewContexts() {
        CountingWorkerStrategy raised = new CountingWorkerStrategy();
        ServiceRegistration<InterpreterStrategy> registration = register(raised, ContextFactory.WORKER, -5);
        log.await("the strategy to be bound", line -> line.message().startsWith("pyhost: strategy for mode worker arrived from " + probe));
        try (PyContext ctx = create(ContextFactory.WORKER)) {
            assertEquals(0, raised.opened.get());
        }

        registration.setProperties(properties(ContextFactory.WORKER, 20));
        try (PyContext ctx = create(ContextFactory.WORKER)) {
            assertEquals("ranked 20 now, above the bundle's 0: it makes the new context", 1, raised.opened.get());
        }
    }

    @Test
    public void aStrategyThatThrowsFromOpenIsLoggedAsAWarningNamingItsBundleAndBreaksNothingElse() {
        RuntimeException thrown = new UnsupportedOperationException("a strategy that misbehaves, on purpose");
        register((interpreters, options) -> {
            throw thrown;
        }, "misbehaving", 0);
        awaitCondition(() -> "mode misbehaving to appear; modes: " + factory.modes(), () -> factory.modes().contains("misbehaving"));

        RuntimeException error = assertThrows(RuntimeException.class, () -> factory.create("misbehaving"));
        assertSame("the caller gets what the strategy threw", thrown, error);
        RecordedLog.Line warning = log.await("a WARNING naming the strategy's bundle", line -> line.level() == Level.WARNING);
        assertEquals("pyhost: strategy for mode misbehaving from " + probe + " failed to create a context", warning.message());
        assertSame(thrown, warning.thrown());

        assertFalse("no context left behind", openContexts().stream().anyMatch(c -> c.mode().equals("misbehaving")));
        for (String mode : List.of(ContextFactory.WORKER, ContextFactory.SUBINTERP, ContextFactory.OWNGIL, ContextFactory.PROCESS)) {
            try (PyContext ctx = create(mode)) {
                assertEquals(mode + " still works", 2L, ctx.eval("1 + 1"));
            }
        }
    }

    private ServiceRegistration<InterpreterStrategy> register(InterpreterStrategy strategy, String mode, int ranking) {
        ServiceRegistration<InterpreterStrategy> registration = bundleContext.registerService(InterpreterStrategy.class, strategy,
                properties(mode, ranking));
        registrations.add(registration);
        return registration;
    }

    private static Hashtable<String, Object> properties(String mode, int ranking) {
        Hashtable<String, Object> properties = new Hashtable<>();
        properties.put(MODE_PROPERTY, mode);
        properties.put(Constants.SERVICE_RANKING, ranking);
        return properties;
    }
}
