package io.pyhost.jep.internal;

import java.time.Duration;
import java.util.Dictionary;
import java.util.Hashtable;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceRegistration;
import org.osgi.util.tracker.ServiceTracker;

import io.pyhost.api.ContextFactory;
import io.pyhost.api.PyFunction;

/**
 * Where Jep's constructors, which know nothing of OSGi, get pyhost from: the
 * {@link ContextFactory} service seen by this bundle (waited for up to {@link #WAIT}), or, outside
 * OSGi (the benchmarks), a factory given with {@link #use}. Also registers each interpreter's
 * hidden {@link PyFunction}.
 */
public final class Contexts {
    /** How long a new interpreter waits for pyhost's ContextFactory (and its mode's strategy). */
    public static final Duration WAIT = Duration.ofSeconds(Long.getLong("pyhost.jep.serviceWait", 30));

    private static volatile ContextFactory given;
    private static ServiceTracker<ContextFactory, ContextFactory> tracker;

    private Contexts() {
    }

    /** Outside OSGi: the factory every new interpreter uses ({@code null}: none). */
    public static void use(ContextFactory factory) {
        given = factory;
    }

    /** The factory to create with; a {@link IllegalStateException} saying what is missing. */
    static ContextFactory factory() {
        ContextFactory f = given;
        if (f != null) {
            return f;
        }
        BundleContext bc = context();
        if (bc == null) {
            throw new IllegalStateException("pyhost-jep runs outside an OSGi framework and no ContextFactory was given "
                    + "(io.pyhost.jep.internal.Contexts.use)");
        }
        ServiceTracker<ContextFactory, ContextFactory> t;
        synchronized (Contexts.class) {
            if (tracker == null || bc != trackerContext) { // a new BundleContext: this bundle was restarted
                if (tracker != null) {
                    tracker.close();
                }
                tracker = new ServiceTracker<>(bc, ContextFactory.class, null);
                tracker.open();
                trackerContext = bc;
            }
            t = tracker;
        }
        try {
            f = t.waitForService(WAIT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for pyhost's ContextFactory service", e);
        }
        if (f == null) {
            throw new IllegalStateException("no io.pyhost.api.ContextFactory service within " + WAIT.toSeconds()
                    + " s: is pyhost-core active? (pyhost.jep.serviceWait sets the wait in seconds)");
        }
        return f;
    }

    private static BundleContext trackerContext;

    private static BundleContext context() {
        Bundle bundle = FrameworkUtil.getBundle(Contexts.class);
        return bundle == null ? null : bundle.getBundleContext();
    }

    /** Registers {@code function} as {@code name}; the returned action unregisters it. Null outside OSGi. */
    static Runnable register(String name, PyFunction function) {
        BundleContext bc = context();
        if (bc == null) {
            return null;
        }
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(PyFunction.NAME, name);
        ServiceRegistration<PyFunction> reg = bc.registerService(PyFunction.class, function, props);
        return () -> {
            try {
                reg.unregister();
            } catch (IllegalStateException alreadyGone) {
                // the bundle stopped first
            }
        };
    }
}
