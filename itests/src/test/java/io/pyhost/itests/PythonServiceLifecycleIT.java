package io.pyhost.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;

import io.pyhost.api.ContextFactory;
import io.pyhost.api.PyContext;
import io.pyhost.itests.api.Greeter;

/**
 * Python services as an OSGi user expects them beyond the first cut: a ranking Python gives
 * orders them, the main preload's services leave when the preload changes, and a sub-interpreter
 * preload's services name their context. Each of these failed against dc57189 (found by this
 * suite) and is fixed in core since.
 */
@RunWith(PaxExam.class)
public class PythonServiceLifecycleIT extends InteropTestSupport {

    private static final String GREETER_CLASS = "import pyhost\nGREETER = " + pyString(GREETER) + "\n"
            + "class G:\n"
            + "    def __init__(self, name):\n"
            + "        self.name = name\n"
            + "    def greet(self, who):\n"
            + "        return self.name\n";

    /**
     * {@code pyhost.register(..., {'service.ranking': 10})}: an OSGi user expects the ranking to
     * order the service among others of its type. Python's int arrives as a {@code Long}, and the
     * framework only honours an {@code Integer} {@code service.ranking} (OSGi core 5.2.5), so a
     * Python service's ranking is silently 0: here the older service with ranking 5 wins over the
     * newer one with ranking 10. (Python has no way to make an Integer.)
     */
    @Test
    public void aServiceRankingPythonGivesOrdersTheService() {
        forEachMode(mode -> {
            String key = "ranking-" + mode;
            try (PyContext ctx = create(mode)) {
                ctx.exec(GREETER_CLASS + "low = pyhost.register(GREETER, G('five'), {'it.key': " + pyString(key) + ", 'service.ranking': 5})\n"
                        + "high = pyhost.register(GREETER, G('ten'), {'it.key': " + pyString(key) + ", 'service.ranking': 10})\n");
                List<ServiceReference<Greeter>> refs = references(Greeter.class, "it.key", key);
                assertEquals(mode, 2, refs.size());
                ServiceReference<Greeter> best = Collections.max(refs); // the framework's order: ranking, then service id
                Object ranking = best.getProperty(Constants.SERVICE_RANKING);
                String bestName = bundleContext.getService(best).greet("x");
                bundleContext.ungetService(best);
                assertEquals(mode + ": the best-ranked Greeter (its service.ranking is a " + (ranking == null ? null : ranking.getClass().getName())
                        + " " + ranking + ")", "ten", bestName);
                assertEquals(mode, Integer.valueOf(10), ranking);
            }
        });
    }

    /**
     * The API description: a service registered by the preload of the main interpreter lives
     * "until the preload changes or core stops". Today it lives until the next worker context is
     * created after the change (ContextEngine.mainImage ends the old preload's services only when
     * it builds the new image): after {@code PreloadService.clearCode()} the old preload's service
     * stays registered, and callable, for as long as no worker context is made. Sub-interpreter
     * modes (registration handed to the context) behave as described; only worker fails.
     */
    @Test
    public void aServiceTheMainInterpretersPreloadRegisteredLeavesWhenThePreloadChanges() {
        forEachMode(mode -> {
            String key = "preload-change-" + mode;
            preload.setCode(GREETER_CLASS + "PRELOADED = pyhost.register(GREETER, G('preloaded'), {'it.key': " + pyString(key) + "})\n");
            PyContext ctx = create(mode);
            assertEquals(mode, 1, references(Greeter.class, "it.key", key).size());
            preload.clearCode(); // a new preload version
            if (mode.equals(ContextFactory.WORKER)) {
                boolean left = within(Duration.ofSeconds(5), () -> references(Greeter.class, "it.key", key).isEmpty());
                List<ServiceReference<Greeter>> still = references(Greeter.class, "it.key", key);
                String answer = still.isEmpty() ? null : bundleContext.getService(still.get(0)).greet("x");
                // clean up for the modes after this one: a worker context made with the new version ends it
                create(mode).close();
                assertTrue(mode + ": 5 s after the preload changed, the old preload's service is still registered (pyhost.host "
                        + (still.isEmpty() ? "-" : still.get(0).getProperty("pyhost.host")) + ") and answers " + answer, left);
            } else {
                assertEquals(mode + ": the context keeps the service its interpreter's preload registered", 1,
                        references(Greeter.class, "it.key", key).size());
                ctx.close();
                assertTrue(mode, references(Greeter.class, "it.key", key).isEmpty());
            }
        });
    }

    /**
     * A service a sub-interpreter's preload registered is "handed to its one context" (it ends
     * with that context, and Java's calls run as that context's calls), but its
     * {@code pyhost.host} property says "the preload of a sub-interpreter" for good: it is set
     * when the preload runs, before the context exists, and not updated by
     * {@code PreloadHost.handTo}. Two contexts' services are then indistinguishable. Expected (as
     * for {@code pyhost.register} in a context): "context N (mode)". Minor; worker mode is right
     * ("the preload of the main interpreter": no context owns it).
     */
    @Test
    public void aServiceASubInterpretersPreloadRegisteredNamesTheContextThatOwnsIt() {
        forEachMode(mode -> {
            String key = "preload-host-" + mode;
            preload.setCode(GREETER_CLASS + "PRELOADED = pyhost.register(GREETER, G('preloaded'), {'it.key': " + pyString(key) + "})\n");
            try (PyContext ctx = create(mode)) {
                List<ServiceReference<Greeter>> refs = references(Greeter.class, "it.key", key);
                assertEquals(mode, 1, refs.size());
                String expected = mode.equals(ContextFactory.WORKER) ? "the preload of the main interpreter"
                        : "context " + ctx.id() + " (" + mode + ")";
                assertEquals(mode, expected, refs.get(0).getProperty("pyhost.host"));
            }
            if (mode.equals(ContextFactory.WORKER)) {
                preload.clearCode();
                create(mode).close(); // ends the worker preload's service before the next mode
            }
        });
    }

    private static boolean within(Duration limit, BooleanSupplier condition) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
        }
        return true;
    }
}
