package io.pyhost.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.bundle;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.OptionUtils;
import org.ops4j.pax.exam.junit.PaxExam;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

import io.pyhost.api.ContextFactory;
import io.pyhost.api.PyContext;
import io.pyhost.api.PyException;
import io.pyhost.examples.greetings.api.Counter;
import io.pyhost.examples.greetings.api.Greeter;
import io.pyhost.examples.greetings.api.Reception;

/**
 * The greetings example of {@code bundles/examples} (README, "Python calls Java"): the Java
 * bundle io.pyhost.examples.greetings exports the API, offers Python the function
 * {@code greetings.shout} and the exported {@link Counter}, and its {@link Reception} component
 * greets through whatever {@link Greeter} service there is; the plugin
 * io.pyhost.examples.greetings.python registers that Greeter from its preload fragment, in Python,
 * calling the function and the Counter back.
 *
 * <p>The Java bundle is provisioned with the platform (this test's own imports of the API are
 * wired to it: a second revision's services would not be visible to them) and restarted before
 * each test, which starts its components afresh (the Counter at 0); the plugin is installed and
 * uninstalled by each test, per mode.
 */
@RunWith(PaxExam.class)
public class GreetingsExampleIT extends PluginTestSupport {

    static final String JAVA_SIDE = "pyhost-example-greetings-java";
    static final String PYTHON_SIDE = "pyhost-example-greetings-python";
    static final String JAVA_BSN = "io.pyhost.examples.greetings";
    static final String GREETER = "io.pyhost.examples.greetings.api.Greeter";
    static final String RECEPTION = "io.pyhost.examples.greetings.api.Reception";

    private Bundle javaSide;
    private Reception reception;
    private Counter counter;

    /** The Java side is provisioned with the platform, so that this test's imports of its API resolve against it. */
    @Override
    @Configuration
    public Option[] configuration() {
        Path jar = Paths.get(System.getProperty("pyhost.itest.bundles", "target/bundles")).resolve(JAVA_SIDE + ".jar");
        return OptionUtils.combine(super.configuration(), bundle(jar.toUri().toString()).start());
    }

    @Before
    public void startTheJavaSideAfresh() throws BundleException {
        restartJavaSide();
    }

    /** Restarts the Java side (its Counter starts at 0 again), with no Greeter of an earlier test or mode left. */
    private void restartJavaSide() throws BundleException {
        javaSide = Stream.of(bundleContext.getBundles()).filter(b -> JAVA_BSN.equals(b.getSymbolicName())).findFirst()
                .orElseThrow(() -> new AssertionError("no " + JAVA_BSN + "; bundles: " + bundleStates()));
        javaSide.stop();
        endWorkerPreloadGreeter();
        javaSide.start();
        reception = service(Reception.class);
        counter = service(Counter.class);
        assertEquals("a fresh Counter", 0L, counter.current());
    }

    /**
     * A worker-mode preload's registrations end only when a later worker context is made with a
     * new preload version (or core stops), not when the plugin leaves: make one, so that no
     * Greeter of an earlier test or mode is left.
     */
    private void endWorkerPreloadGreeter() {
        try (PyContext ctx = factory.create(ContextFactory.WORKER)) {
            ctx.eval("1");
        }
        awaitCondition(() -> "no Greeter service left; there are " + greeters(), () -> greeters().isEmpty());
    }

    private List<ServiceReference<?>> greeters() {
        try {
            ServiceReference<?>[] refs = bundleContext.getAllServiceReferences(GREETER, null);
            return refs == null ? List.of() : List.of(refs);
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new AssertionError(e);
        }
    }

    private Bundle startPythonSide() throws BundleException {
        Bundle python = installExample(PYTHON_SIDE);
        python.start();
        assertEquals(Bundle.ACTIVE, python.getState());
        return python;
    }

    @Test
    public void theReceptionGreetsThroughThePythonGreeterWhichCallsJavaBackInEveryMode() {
        forEachPluginMode(mode -> {
            restartJavaSide();
            startPythonSide();
            assertEquals("[" + mode + "] the preload has not run yet: no Greeter", "none", reception.greeter());
            IllegalStateException none = assertThrows(IllegalStateException.class, () -> reception.welcome("Ada"));
            assertTrue(none.getMessage(), none.getMessage().startsWith("no Greeter service is registered"));

            PyContext ctx = create(mode);
            // pyhost.host is set when the preload registers, before a sub-interpreter's context exists (core names
            // no context then, though the registration is handed to the context right after)
            List<String> hosts = mode.equals(ContextFactory.WORKER) ? List.of("the preload of the main interpreter")
                    : List.of("the preload of a sub-interpreter", "context " + ctx.id() + " (" + mode + ")");
            assertTrue("[" + mode + "] the Greeter of this context's preload is bound: " + reception.greeter(), hosts.stream()
                    .anyMatch(host -> reception.greeter().startsWith("language=python, pyhost.host=" + host + ", service.id=")));

            // Java -> Python -> Java: the Reception calls the Python Greeter, which calls greetings.shout and the Counter
            assertEquals("[" + mode + "]", "HELLO, ADA! You are visitor 1.", reception.welcome("Ada"));
            assertEquals("[" + mode + "] Python counted on the very Counter Java sees", 1L, counter.current());
            // Python -> Java
            assertEquals("[" + mode + "]", "HELLO, BOB! You are visitor 2.", ctx.eval("greet('Bob')"));
            // Python -> Java -> Python -> Java: the exported Reception, through the Greeter, from Python
            assertEquals("[" + mode + "]", "HELLO, CY! You are visitor 3.",
                    ctx.eval("__import__('pyhost').service(" + pyString(RECEPTION) + ").welcome('Cy')"));
            assertEquals(3L, counter.current());
        });
    }

    @Test
    public void inWorkerModeThePreloadRegistersOneGreeterThatOutlivesTheContextsAndLeavesAfterThePlugin() throws Exception {
        Bundle python = startPythonSide();
        assertEquals("no context made since the plugin started: its preload has not run", List.of(), greeters());

        long serviceId;
        try (PyContext first = create(ContextFactory.WORKER)) {
            serviceId = (Long) first.eval("GREETER.service_id");
            assertEquals(List.of(serviceId), greeterIds());
        }
        assertEquals("the Greeter belongs to the main interpreter's preload, not to the context", List.of(serviceId), greeterIds());
        assertEquals("HELLO, ADA! You are visitor 1.", reception.welcome("Ada"));
        try (PyContext second = create(ContextFactory.WORKER)) {
            assertEquals("a second worker context copies the preloaded namespace: no second registration",
                    List.of(serviceId), greeterIds());
            assertEquals(serviceId, second.eval("GREETER.service_id"));
        }

        python.stop();
        // Core ends a main-interpreter preload's services when it builds the next preload, that is with the
        // next worker context (the plugin's stop alone leaves the Greeter registered today)
        endWorkerPreloadGreeter();
        // unregistered on a thread of core's: the Reception hears of it as Felix tells SCR, just after the registry forgot it
        awaitCondition(() -> "the Reception to let the Greeter go; it has " + reception.greeter(), () -> reception.greeter().equals("none"));
        assertThrows(IllegalStateException.class, () -> reception.welcome("Bob"));
        assertEquals("only the one welcome counted", 1L, counter.current());
    }

    @Test
    public void inSubInterpreterModesEveryContextRegistersItsOwnGreeterWhichLeavesWithIt() {
        forEachPluginMode(mode -> {
            if (mode.equals(ContextFactory.WORKER)) {
                return; // the test above
            }
            restartJavaSide();
            Bundle python = startPythonSide();
            PyContext first = create(mode);
            PyContext second = create(mode);
            long firstId = (Long) first.eval("GREETER.service_id");
            long secondId = (Long) second.eval("GREETER.service_id");
            assertEquals("[" + mode + "] each interpreter ran the preload", List.of(firstId, secondId), greeterIds());
            assertTrue("[" + mode + "] the greedy reference holds the best-ranked (equal rankings: the oldest): " + reception.greeter(),
                    reception.greeter().endsWith("service.id=" + firstId));

            // a Java caller holding the first context's Greeter, as a component with a static reference would
            ServiceReference<Greeter> held = bundleContext.getServiceReferences(Greeter.class, "(service.id=" + firstId + ")").iterator().next();
            Greeter firstGreeter = bundleContext.getService(held);
            assertEquals("HELLO, ADA! You are visitor 1.", firstGreeter.greet("Ada"));

            python.stop();
            assertEquals("[" + mode + "] open contexts keep what their preload registered", List.of(firstId, secondId), greeterIds());

            first.close();
            assertEquals("[" + mode + "] closing a context unregisters its Greeter before close returns", List.of(secondId), greeterIds());
            IllegalStateException closed = assertThrows(IllegalStateException.class, () -> firstGreeter.greet("Bob"));
            assertTrue("[" + mode + "] " + closed.getMessage(), closed.getMessage().startsWith("context " + first.id() + " (" + mode + ") is closed"));
            awaitCondition(() -> "the Reception to move to the second Greeter; it has " + reception.greeter(),
                    () -> reception.greeter().endsWith("service.id=" + secondId));
            assertEquals("HELLO, CY! You are visitor 2.", reception.welcome("Cy"));

            second.close();
            assertEquals(List.of(), greeterIds());
            assertEquals("none", reception.greeter());
        });
    }

    @Test
    public void aMissingJavaPartReachesTheJavaCallerAsThePythonException() {
        ServiceComponentRuntime scr = service(ServiceComponentRuntime.class);
        forEachPluginMode(mode -> {
            restartJavaSide();
            startPythonSide();
            PyContext ctx = create(mode);
            assertEquals("HELLO, ADA! You are visitor 1.", reception.welcome("Ada"));

            ComponentDescriptionDTO shout = scr.getComponentDescriptionDTO(javaSide, "io.pyhost.examples.greetings.ShoutFunction");
            scr.disableComponent(shout).getValue();
            try {
                PyException inJava = assertThrows(PyException.class, () -> reception.welcome("Bob"));
                assertEquals("[" + mode + "] " + inJava, "ServiceUnavailable", inJava.pythonType());
                assertTrue("[" + mode + "] " + inJava.pythonMessage(), inJava.pythonMessage().contains("no function 'greetings.shout' is registered"));
                ctx.exec("try:\n    greet('Bob')\nexcept pyhost.ServiceUnavailable as e:\n    caught = isinstance(e, pyhost.JavaError)");
                assertEquals("[" + mode + "] Python catches it as pyhost.ServiceUnavailable, a pyhost.JavaError", true, ctx.eval("caught"));
            } finally {
                scr.enableComponent(shout).getValue();
            }
            // (a failed greeting counted nobody: greetings.shout comes before the Counter)
            awaitCondition(() -> "greetings.shout back", () -> tryWelcome("Dan").startsWith("HELLO, DAN!"));
            assertEquals(2L, counter.current());

            PyException notExported = assertThrows(PyException.class, () -> ctx.eval("__import__('pyhost').service(" + pyString(GREETER) + ")"));
            assertEquals("[" + mode + "] the Greeter has no pyhost.export=true", "ServiceUnavailable", notExported.pythonType());
            assertTrue("[" + mode + "] " + notExported.pythonMessage(), notExported.pythonMessage().contains("is not exported to Python"));
        });
    }

    private String tryWelcome(String name) {
        try {
            return reception.welcome(name);
        } catch (RuntimeException e) {
            return e.toString();
        }
    }

    @Test
    public void theExampleBundlesDeclareWhatTheyNeed() throws Exception {
        Bundle python = installExample(PYTHON_SIDE);
        assertEquals("io.pyhost.examples.greetings.python", python.getSymbolicName());
        assertEquals("python/greeter.py", python.getHeaders().get("Python-Preload"));
        assertTrue(python.getHeaders().get("Require-Capability"), python.getHeaders().get("Require-Capability").contains("(osgi.extender=io.pyhost.preload)"));
        assertEquals("the plugin imports the API package only to start after the Java side",
                "io.pyhost.examples.greetings.api;version=\"[1.0,2)\"", python.getHeaders().get("Import-Package"));
        assertEquals("io.pyhost.examples.greetings.api;version=\"1.0.0\"", javaSide.getHeaders().get("Export-Package"));
        python.start();
        assertEquals(Bundle.ACTIVE, python.getState());
    }


    /**
     * Java's calls on the worker preload's Greeter run on a thread core prepares for calls into
     * Java, whichever thread calls: a new platform thread, a virtual thread (handed to a
     * {@code pyhost-main} lane), a sub-interpreter's Python through the Reception (a lane too).
     * Before core's fix (4bab36f) the Greeter's {@code pyhost.call} raised {@code RuntimeError:
     * pyhost: this thread cannot call Java} on each of them.
     */
    @Test
    public void anyJavaThreadCanUseTheGreeterOfTheWorkerPreload() throws Exception {
        startPythonSide();
        create(ContextFactory.WORKER).close(); // its preload registers the Greeter
        assertEquals("HELLO, ADA! You are visitor 1.", onNewThread(Thread.ofPlatform(), () -> reception.welcome("Ada")));
        assertEquals("HELLO, BOB! You are visitor 2.", onNewThread(Thread.ofVirtual(), () -> reception.welcome("Bob")));
        try (PyContext sub = create(ContextFactory.SUBINTERP)) {
            assertTrue("the Reception keeps the older Greeter, the worker preload's: " + reception.greeter(),
                    reception.greeter().contains("pyhost.host=the preload of the main interpreter"));
            assertEquals("HELLO, CY! You are visitor 3.", sub.eval("pyhost.service(" + pyString(RECEPTION) + ").welcome('Cy')"));
        }
    }

    private static String onNewThread(Thread.Builder builder, Callable<String> work) throws Exception {
        AtomicReference<Object> outcome = new AtomicReference<>();
        Thread thread = builder.start(() -> {
            try {
                outcome.set(work.call());
            } catch (Exception e) {
                outcome.set(e);
            }
        });
        thread.join(WAIT.toMillis());
        if (outcome.get() instanceof Exception e) {
            throw e;
        }
        return (String) outcome.get();
    }

    private List<Long> greeterIds() {
        return greeters().stream().map(r -> (Long) r.getProperty("service.id")).sorted().toList();
    }
}
