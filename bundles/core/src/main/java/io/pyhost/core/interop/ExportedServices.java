package io.pyhost.core.interop;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.Filter;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;

import io.pyhost.core.bridge.PythonInterpreter;

/**
 * The OSGi services Python may use ({@code pyhost.service}, {@code pyhost.services}), through core's
 * {@link BundleContext}, which Python never sees.
 *
 * <p>Least privilege: a service is exported to Python when it has the property
 * {@code pyhost.export=true} or matches the {@code exportFilter} of core's configuration; nothing
 * else is found, and asking for a service that exists but is not exported says so. A proxy calls
 * the service through the interface Python asked for (its methods only), and checks at every call
 * that the service is still registered.
 */
public final class ExportedServices {
    /** The service property that exports a service to Python. */
    public static final String EXPORT = "pyhost.export";
    private static final ExportedServices SHARED = new ExportedServices();
    private static final long POLL_MILLIS = 20;

    private record Bound(BundleContext context, Filter exportFilter) {
    }

    private volatile Bound bound;

    private ExportedServices() {
    }

    /** The instance of this core. */
    public static ExportedServices shared() {
        return SHARED;
    }

    /**
     * Makes lookups go through {@code context}; {@code exportFilter} (LDAP, may be blank) exports
     * services without the property. Throws {@link IllegalArgumentException} for a bad filter.
     */
    public void bind(BundleContext context, String exportFilter) {
        Filter filter = null;
        if (exportFilter != null && !exportFilter.isBlank()) {
            try {
                filter = context.createFilter(exportFilter.trim());
            } catch (InvalidSyntaxException e) {
                throw new IllegalArgumentException("exportFilter is not an LDAP filter: " + exportFilter + " (" + e.getMessage() + ")", e);
            }
        }
        bound = new Bound(context, filter);
    }

    public void unbind() {
        bound = null;
    }

    /** Thrown when no exported service answers; becomes {@code pyhost.ServiceUnavailable}. */
    static final class Unavailable extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Unavailable(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * The exported services of {@code type} matching {@code filter}, best-ranked first. With
     * {@code one}, waits up to {@code timeoutMillis} (0: not at all) for one to appear, and
     * throws {@link Unavailable} when none did. Runs with the GIL released.
     */
    List<ServiceReference<?>> find(String type, String filter, long timeoutMillis, boolean one) {
        Bound b = bound;
        if (b == null) {
            throw new Unavailable("OSGi services are not available here (pyhost core runs outside an OSGi framework)");
        }
        if (filter != null) {
            try {
                b.context().createFilter(filter);
            } catch (InvalidSyntaxException e) {
                throw new IllegalArgumentException("the filter is not an LDAP filter: " + filter + " (" + e.getMessage() + ")");
            }
        }
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
        while (true) {
            ServiceReference<?>[] all = references(b, type, filter);
            List<ServiceReference<?>> exported = new ArrayList<>();
            for (ServiceReference<?> ref : all) {
                if (isExported(b, ref)) {
                    exported.add(ref);
                }
            }
            exported.sort(Comparator.<ServiceReference<?>>naturalOrder().reversed()); // higher ranking, then lower id first
            if (!exported.isEmpty() || !one && all.length == 0) {
                return exported;
            }
            if (all.length > 0 && (!one || timeoutMillis == 0 || System.nanoTime() >= deadline)) {
                throw new Unavailable("the service " + type + (filter == null ? "" : " " + filter)
                        + " is not exported to Python (it needs the property " + EXPORT + "=true, or to match core's exportFilter)");
            }
            if (System.nanoTime() >= deadline || PythonInterpreter.callOnThisThreadStopping()) {
                throw new Unavailable("no service " + type + (filter == null ? "" : " " + filter) + " is registered"
                        + (timeoutMillis > 0 ? " (waited " + timeoutMillis + " ms)" : ""));
            }
            try {
                Thread.sleep(Math.min(POLL_MILLIS, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Unavailable("interrupted while waiting for the service " + type);
            }
        }
    }

    private static ServiceReference<?>[] references(Bound b, String type, String filter) {
        try {
            ServiceReference<?>[] refs = b.context().getAllServiceReferences(type, filter);
            return refs == null ? new ServiceReference<?>[0] : refs;
        } catch (InvalidSyntaxException e) {
            throw new IllegalArgumentException("the filter is not an LDAP filter: " + filter);
        } catch (IllegalStateException stopped) {
            throw new Unavailable("pyhost core is stopping");
        }
    }

    private static boolean isExported(Bound b, ServiceReference<?> ref) {
        Object flag = ref.getProperty(EXPORT);
        return Boolean.TRUE.equals(flag) || "true".equalsIgnoreCase(String.valueOf(flag).trim()) && flag instanceof String
                || b.exportFilter() != null && b.exportFilter().match(ref);
    }

    /**
     * Gets the service behind {@code ref} for Python: what {@link JavaObjects} lends. Its methods
     * are those of {@code type} (when the service's class has that type), the call checks that
     * it is still registered, and dropping the proxy gives the service back.
     */
    JavaObjects.Lent lend(ServiceReference<?> ref, String type) {
        Bound b = bound;
        if (b == null) {
            throw new Unavailable("pyhost core is stopping");
        }
        Object service;
        try {
            service = b.context().getService(ref);
        } catch (IllegalStateException stopped) {
            throw new Unavailable("pyhost core is stopping");
        }
        if (service == null) {
            throw new Unavailable("the service " + type + " (id " + ref.getProperty(Constants.SERVICE_ID) + ") left");
        }
        Object id = ref.getProperty(Constants.SERVICE_ID);
        String label = "service " + type + " (id " + id + ")";
        Map<String, List<Method>> methods = JavaMethods.of(service.getClass(), typeNamed(service.getClass(), type));
        AtomicBoolean released = new AtomicBoolean();
        return new JavaObjects.Lent(service, methods, label, () -> {
            if (ref.getBundle() == null) {
                throw new JavaObjects.ServiceGone("the " + label + " was unregistered");
            }
        }, () -> {
            if (released.compareAndSet(false, true)) {
                try {
                    b.context().ungetService(ref);
                } catch (IllegalStateException | IllegalArgumentException gone) {
                    // core stopped or the service left: the framework released it already
                }
            }
        });
    }

    /** The class or interface named {@code name} among {@code type} and its supertypes, or null. */
    private static Class<?> typeNamed(Class<?> type, String name) {
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            if (c.getName().equals(name)) {
                return c;
            }
            for (Class<?> i : c.getInterfaces()) {
                Class<?> found = typeNamed(i, name);
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }

    /** For {@code py:services}: the exported services now, as "type (id N, ranking R, bundle B)" lines, sorted. */
    public List<String> describeExported() {
        Bound b = bound;
        if (b == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (ServiceReference<?> ref : references(b, null, null)) {
            if (isExported(b, ref)) {
                Object types = ref.getProperty(Constants.OBJECTCLASS);
                String names = types instanceof String[] many ? String.join(", ", many) : String.valueOf(types);
                out.add(names + " (id " + ref.getProperty(Constants.SERVICE_ID) + ", ranking "
                        + (ref.getProperty(Constants.SERVICE_RANKING) instanceof Integer r ? r : 0) + ", bundle "
                        + (ref.getBundle() == null ? "gone" : ref.getBundle().getSymbolicName()) + ")");
            }
        }
        out.sort(null);
        return out;
    }
}
