package io.pyhost.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.After;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;

import io.pyhost.api.Fragment;
import io.pyhost.api.PreloadFragment;
import io.pyhost.api.PyContext;
import io.pyhost.api.PyException;

/**
 * The whiteboard alternative of the issue "Plugin bundles contribute preload fragments": a
 * {@link PreloadFragment} service registered with {@value PreloadFragment#ORDER} (and
 * {@value PreloadFragment#ID}) takes its place among the bundle fragments by its order, with
 * origin {@code service:<id>} (or {@code service:<service.id>}); it moves when its order
 * property changes and leaves when it is unregistered; only new contexts see either.
 */
@RunWith(PaxExam.class)
public class PreloadFragmentServiceIT extends PluginTestSupport {

    private final List<ServiceRegistration<PreloadFragment>> registrations = new ArrayList<>();

    @After
    public void unregisterFragments() {
        for (ServiceRegistration<PreloadFragment> registration : registrations) {
            try {
                registration.unregister();
            } catch (IllegalStateException alreadyUnregistered) {
                // the test unregistered it itself
            }
        }
        registrations.clear();
    }

    /** Registers {@code code} as a PreloadFragment service; {@code id} null for none; counts calls of code(). */
    private ServiceRegistration<PreloadFragment> register(Object order, String id, String code, AtomicInteger calls) {
        Dictionary<String, Object> properties = new Hashtable<>();
        if (order != null) {
            properties.put(PreloadFragment.ORDER, order);
        }
        if (id != null) {
            properties.put(PreloadFragment.ID, id);
        }
        PreloadFragment fragment = () -> {
            calls.incrementAndGet();
            return code;
        };
        ServiceRegistration<PreloadFragment> registration = bundleContext.registerService(PreloadFragment.class, fragment, properties);
        registrations.add(registration);
        return registration;
    }

    private void awaitOrigins(List<String> expected) {
        awaitCondition(() -> "fragments() to be " + expected + "; they are " + origins(), () -> origins().equals(expected));
    }

    @Test
    public void aFragmentServiceTakesItsPlaceByOrderAmongBundleFragmentsAndLeavesWhenUnregistered() throws Exception {
        Bundle plugin = start(plugin("io.pyhost.it.whiteboard.host", "1.0.0")
                .preload("python/ten.py;order=10, python/twenty.py;order=20")
                .entry("python/ten.py", appendRun("bundle 10"))
                .entry("python/twenty.py", appendRun("bundle 20")));
        String ten = origin(plugin, "python/ten.py");
        String twenty = origin(plugin, "python/twenty.py");
        preload.setCode(appendRun("application"));
        awaitOrigins(List.of(ten, twenty, Fragment.APPLICATION));

        AtomicInteger calls = new AtomicInteger();
        // code computed in Java when the service arrives: the whiteboard's reason to exist
        String computed = appendRun("service 15") + "JAVA_FEATURE_VERSION = " + Runtime.version().feature() + "\n";
        long before = preload.version();
        ServiceRegistration<PreloadFragment> registration = register(15, "it-computed", computed, calls);
        awaitOrigins(List.of(ten, "service:it-computed", twenty, Fragment.APPLICATION));
        assertTrue("a new fragment makes a new preload version", preload.version() > before);
        Fragment service = preload.fragments().get(1);
        assertEquals(15, service.order());
        assertEquals(computed, service.code());

        List<String> oldContexts = new ArrayList<>();
        List<PyContext> old = new ArrayList<>();
        forEachMode(mode -> {
            preload.setCode(appendRun("application"));
            try (PyContext ctx = create(mode)) {
                assertEquals("[" + mode + "] the service's fragment runs between the bundle's 10 and 20",
                        List.of("bundle 10", "service 15", "bundle 20", "application"), run(ctx));
                assertEquals((long) Runtime.version().feature(), ctx.eval("JAVA_FEATURE_VERSION"));
            }
        });
        preload.setCode(appendRun("application"));
        for (String mode : modes()) {
            old.add(create(mode));
            oldContexts.add(mode);
        }

        // a changed order property moves the fragment (code() is asked again)
        int callsBefore = calls.get();
        Dictionary<String, Object> moved = new Hashtable<>();
        moved.put(PreloadFragment.ORDER, "25");
        moved.put(PreloadFragment.ID, "it-computed");
        registration.setProperties(moved);
        awaitOrigins(List.of(ten, twenty, "service:it-computed", Fragment.APPLICATION));
        assertEquals("the order property may be a string", 25, preload.fragments().get(2).order());
        assertTrue("code() was asked again on the update", calls.get() > callsBefore);
        for (String mode : modes()) {
            try (PyContext ctx = create(mode)) {
                assertEquals("[" + mode + "] after the order changed to 25",
                        List.of("bundle 10", "bundle 20", "service 15", "application"), run(ctx));
            }
        }

        registration.unregister();
        awaitOrigins(List.of(ten, twenty, Fragment.APPLICATION));
        for (String mode : modes()) {
            try (PyContext ctx = create(mode)) {
                assertEquals("[" + mode + "] an unregistered fragment no longer runs",
                        List.of("bundle 10", "bundle 20", "application"), run(ctx));
            }
        }
        for (int i = 0; i < old.size(); i++) {
            assertEquals("[" + oldContexts.get(i) + "] a context created while the service was there keeps what it ran",
                    List.of("bundle 10", "service 15", "bundle 20", "application"), run(old.get(i)));
        }
    }

    @Test
    public void withoutAnIdTheOriginIsTheServiceIdAndWithoutAnOrderTheOrderIsZero() {
        AtomicInteger calls = new AtomicInteger();
        ServiceRegistration<PreloadFragment> registration = register(null, null, appendRun("anonymous"), calls);
        Object serviceId = registration.getReference().getProperty(Constants.SERVICE_ID);
        awaitOrigins(List.of("service:" + serviceId));
        assertEquals(0, preload.fragments().getFirst().order());
        assertEquals("code() is asked once when the service arrives", 1, calls.get());
        forEachMode(mode -> {
            try (PyContext ctx = create(mode)) {
                assertEquals(List.of("anonymous"), run(ctx));
            }
        });
        assertEquals("code() is not asked again for each context", 1, calls.get());
    }

    @Test
    public void servicesOfOneOrderAndOneBundleRunInTheOrderOfTheirOrigins() {
        AtomicInteger calls = new AtomicInteger();
        register(5, "it-b", appendRun("b"), calls);
        register(5, "it-a", appendRun("a"), calls);
        register(-3, "it-z", appendRun("z"), calls);
        awaitOrigins(List.of("service:it-z", "service:it-a", "service:it-b"));
        forEachMode(mode -> {
            try (PyContext ctx = create(mode)) {
                assertEquals(List.of("z", "a", "b"), run(ctx));
            }
        });
    }

    @Test
    public void aFragmentServiceThatRaisesFailsCreateNamingItsOriginUntilItIsUnregistered() {
        ServiceRegistration<PreloadFragment> registration = register(1, "it-raises", "\nraise LookupError('no such setting')\n",
                new AtomicInteger());
        awaitOrigins(List.of("service:it-raises"));
        forEachMode(mode -> {
            PyException error = assertThrows(PyException.class, () -> create(mode));
            assertEquals("LookupError", error.pythonType());
            assertTrue("[" + mode + "] the traceback names the service and the fragment's line:\n" + error.pythonTraceback(),
                    error.pythonTraceback().contains("File \"service:it-raises\", line 2"));
        });
        registration.unregister();
        awaitOrigins(List.of());
        forEachMode(mode -> {
            try (PyContext ctx = create(mode)) {
                assertEquals(2L, ctx.eval("1 + 1"));
            }
        });
    }
}
