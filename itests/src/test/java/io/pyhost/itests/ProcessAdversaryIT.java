package io.pyhost.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.osgi.framework.ServiceReference;

import io.pyhost.api.ContextFactory;
import io.pyhost.api.ContextOptions;
import io.pyhost.api.PyContext;
import io.pyhost.itests.api.Greeter;

/**
 * A hostile plugin author against a Python service of a {@code process} context in Felix: registered
 * from a Python thread, hammered by Java threads, one of its methods hanging past the context's
 * timeout, and the context closed while a Java caller waits in it. Callers are released at their
 * deadlines, the service is gone when close() returns, and later calls name the closed context.
 */
@RunWith(PaxExam.class)
public class ProcessAdversaryIT extends InteropTestSupport {

    @Override
    protected List<String> moreBundles() {
        return Stream.concat(super.moreBundles().stream(), Stream.of("pyhost-strategy-process")).toList();
    }

    @Test
    public void aPythonServiceUnderFireEndsWithItsContext() throws Exception {
        PyContext ctx = create(ContextOptions.mode(ContextFactory.PROCESS).withCallTimeout(Duration.ofSeconds(2)));
        try (PyContext bystander = create(ContextFactory.PROCESS)) {
            ctx.exec("""
                    import pyhost, threading, time
                    class G:
                        def count(self, text):
                            return len(text)
                        def greet(self, name):
                            time.sleep(60)
                        def fail(self, why):
                            while True:
                                try:
                                    time.sleep(60)
                                except KeyboardInterrupt:
                                    pass
                    REG = []
                    t = threading.Thread(target=lambda: REG.append(pyhost.register('io.pyhost.itests.api.Greeter', G(), {'it.key': 'adv'})))
                    t.start()
                    t.join()
                    """);
            List<ServiceReference<Greeter>> found = references(Greeter.class, "it.key", "adv");
            assertEquals(1, found.size());
            Greeter greeter = bundleContext.getService(found.get(0));
            List<CompletableFuture<Long>> callers = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                callers.add(CompletableFuture.supplyAsync(() -> {
                    long sum = 0;
                    for (int i = 0; i < 50; i++) {
                        sum += greeter.count("x".repeat(i));
                    }
                    return sum;
                }));
            }
            for (CompletableFuture<Long> c : callers) {
                assertEquals(Long.valueOf(1225), c.get(60, TimeUnit.SECONDS));
            }
            long t0 = System.nanoTime();
            assertThrows(RuntimeException.class, () -> greeter.greet("slow"));
            assertTrue("released at the deadline", System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(4));
            assertEquals(3L, greeter.count("abc") + 0L);
            CompletableFuture<Object> deaf = CompletableFuture.supplyAsync(() -> greeter.fail("never"));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (factory.contexts().stream().noneMatch(i -> i.id() == ctx.id() && i.busy())
                    && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            long closing = System.nanoTime();
            ctx.close();
            assertTrue("close took " + (System.nanoTime() - closing) / 1_000_000 + " ms", System.nanoTime() - closing < TimeUnit.SECONDS.toNanos(10));
            assertEquals("unregistered before close returned", List.of(), references(Greeter.class, "it.key", "adv"));
            assertThrows(Exception.class, () -> deaf.get(10, TimeUnit.SECONDS));
            IllegalStateException after = assertThrows(IllegalStateException.class, () -> greeter.count("x"));
            assertTrue(after.getMessage(), after.getMessage().contains("closed") || after.getMessage().contains("unregistered"));
            assertEquals(2L, bystander.eval("1+1"));
        } finally {
            ctx.close();
        }
    }
}
