package io.pyhost.core.interop;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.Version;
import org.osgi.framework.namespace.PackageNamespace;
import org.osgi.framework.wiring.BundleCapability;
import org.osgi.framework.wiring.BundleWiring;

import io.pyhost.core.bridge.PyRef;
import io.pyhost.spi.JavaAccess;

/**
 * Python objects registered as OSGi services ({@code pyhost.register}).
 *
 * <p>The interfaces are loaded through the bundle that exports their package (the framework's
 * wiring), so any bundle's API can be implemented in Python; the service object is a
 * {@link Proxy} whose calls run in the registering {@link PythonHost} (a context: serialized with
 * its other calls, under its call timeout), with arguments and results converted by the value
 * table and the result fitted to the method's return type. Each registration holds its Python
 * object as an owned reference, touched only with its interpreter's GIL held; the registration
 * ends with its host: unregistered first (no GIL held, so consumers may still call in and get a
 * clear error), then the reference released under the GIL.
 */
public final class PythonServices {
    private static final PythonServices SHARED = new PythonServices();
    private static final java.security.SecureRandom TOKENS = new java.security.SecureRandom();
    /**
     * Interfaces Python may not implement: framework hooks and listeners (a weaving hook rewrites
     * every class loaded after it), URL handlers, configuration plugins, and pyhost's own extension
     * points (a preload fragment's code runs unsandboxed in every interpreter; a strategy makes
     * interpreters). Through any of them Python would act beyond the context that registered it.
     */
    private static final List<String> NEVER_IMPLEMENTED = List.of("org.osgi.framework.", "org.osgi.service.url.",
            "org.osgi.service.cm.", "org.osgi.service.condpermadmin.", "org.osgi.service.permissionadmin.",
            "org.apache.felix.framework.", "io.pyhost.spi.", "io.pyhost.api.PreloadFragment", "io.pyhost.api.PreloadService",
            "io.pyhost.api.ContextFactory", "java.lang.instrument.");

    private volatile BundleContext context;
    private final Map<PythonHost, List<Registration>> byHost = new ConcurrentHashMap<>();
    private final Map<Long, Registration> byToken = new ConcurrentHashMap<>();

    private PythonServices() {
    }

    public static PythonServices shared() {
        return SHARED;
    }

    public void bind(BundleContext bundleContext) {
        this.context = bundleContext;
    }

    public void unbind() {
        this.context = null;
    }

    /** One Python object registered as a service. */
    static final class Registration implements InvocationHandler {
        final long token;
        final PythonHost host;                         // null: a context outside this JVM (target answers)
        final String label;
        private final PyRef object;                    // owned; used and released only with the GIL held; null with a target
        private final JavaAccess.Target target;        // the Python object of a context outside this JVM; null with an object
        private boolean released;                      // guarded by the GIL
        volatile ServiceRegistration<?> registration;

        Registration(long token, PythonHost host, String label, PyRef object, JavaAccess.Target target) {
            this.token = token;
            this.host = host;
            this.label = label;
            this.object = object;
            this.target = target;
        }

        @Override
        public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            if (method.getDeclaringClass() == Object.class) {
                return switch (method.getName()) {
                    case "equals" -> proxy == args[0];
                    case "hashCode" -> System.identityHashCode(proxy);
                    default -> label;
                };
            }
            Object[] given = args == null ? new Object[0] : args;
            Object result = target != null ? target.invoke(method.getName(), java.util.Arrays.asList(given), method.isDefault())
                    : host.run(in -> call(method, given));
            if (result == DEFAULT || result == JavaAccess.Target.NO_ATTRIBUTE) {
                return InvocationHandler.invokeDefault(proxy, method, args);
            }
            if (method.getReturnType() == void.class) {
                return null;
            }
            try {
                return Coercion.fit(result, method.getGenericReturnType(), label + ": " + method.getName() + " returned");
            } catch (IllegalArgumentException e) {
                throw new ClassCastException(e.getMessage());
            }
        }

        /** GIL held. */
        private Object call(Method method, Object[] args) {
            if (released) {
                throw new IllegalStateException(label + " was unregistered");
            }
            PyRef attribute = method.isDefault() ? object.getAttrOrNull(method.getName()) : object.getAttr(method.getName());
            if (attribute == null) {
                return DEFAULT; // the interface's default method, as Java would run it
            }
            try (attribute) {
                return attribute.call(java.util.Arrays.asList(args), null); // unknown objects become pyhost.JavaObject
            }
        }

        /** GIL held: no call touches the object after this. */
        void release() {
            if (!released) {
                released = true;
                if (object != null) {
                    object.close();
                }
            }
        }

        void unregister() {
            ServiceRegistration<?> r = registration;
            if (r != null) {
                try {
                    r.unregister();
                } catch (IllegalStateException already) {
                    // unregistered before (by Python, or by the framework when core stopped)
                }
            }
        }
    }

    private static final Object DEFAULT = new Object();

    /**
     * Registers {@code object} (an owned reference the registration takes over on success; on
     * failure the caller still owns it) under the interfaces {@code names}. Runs with the GIL
     * released: the framework tells listeners synchronously, and they may call the new service.
     */
    Registration register(PythonHost host, List<String> names, PyRef object, Map<String, Object> properties) {
        return register(host, host.describe(), names, object, null, properties);
    }

    /**
     * Registers the Python object of a context outside this JVM, answered by {@code target}, under
     * the interfaces {@code names}; {@code owner} names the context. The caller unregisters it.
     */
    JavaAccess.Registration register(String owner, List<String> names, JavaAccess.Target target, Map<String, Object> properties) {
        Registration r = register(null, owner, names, null, target, properties);
        long serviceId = serviceId(r);
        return new JavaAccess.Registration() {
            @Override
            public long serviceId() {
                return serviceId;
            }

            @Override
            public void unregister() {
                r.unregister();
                forget(r);
            }
        };
    }

    private Registration register(PythonHost host, String owner, List<String> names, PyRef object, JavaAccess.Target target,
            Map<String, Object> properties) {
        BundleContext bc = context;
        if (bc == null) {
            throw new ExportedServices.Unavailable("OSGi services are not available here (pyhost core runs outside an OSGi framework)");
        }
        if (names.isEmpty()) {
            throw new IllegalArgumentException("pyhost.register needs at least one interface name");
        }
        for (String name : names) {
            if (NEVER_IMPLEMENTED.stream().anyMatch(name::startsWith)) {
                throw new IllegalArgumentException("Python may not implement " + name
                        + ": framework hooks and pyhost's own extension points act beyond the context that would register them");
            }
        }
        List<Class<?>> interfaces = new ArrayList<>();
        for (String name : new LinkedHashSet<>(names)) {
            Class<?> type = load(bc, name);
            if (!type.isInterface()) {
                throw new IllegalArgumentException(name + " is a class; Python can implement interfaces only");
            }
            interfaces.add(type);
        }
        long token;
        do {
            token = TOKENS.nextLong() & Long.MAX_VALUE;
        } while (token == 0 || byToken.containsKey(token));
        Registration registration = new Registration(token, host, "Python service " + names + " of " + owner, object, target);
        Object proxy = Proxy.newProxyInstance(loaderFor(interfaces), interfaces.toArray(Class<?>[]::new), registration);
        Hashtable<String, Object> props = new Hashtable<>();
        properties.forEach((k, v) -> {
            if (v != null) {
                props.put(k, v);
            }
        });
        if (props.get(Constants.SERVICE_RANKING) instanceof Long ranking) {
            // Python's int arrives as Long; the framework honours an Integer ranking only
            if (ranking != ranking.intValue()) {
                throw new IllegalArgumentException(Constants.SERVICE_RANKING + " " + ranking + " does not fit a Java int");
            }
            props.put(Constants.SERVICE_RANKING, ranking.intValue());
        }
        props.put(HOST_PROPERTY, owner);
        if (host != null) {
            byHost.computeIfAbsent(host, h -> new CopyOnWriteArrayList<>()).add(registration);
        }
        byToken.put(token, registration);
        try {
            registration.registration = bc.registerService(names.stream().distinct().toArray(String[]::new), proxy, props);
        } catch (RuntimeException e) {
            forget(registration);
            throw e;
        }
        return registration;
    }

    /** The registration Python holds as {@code token}, if it belongs to {@code host}'s interpreter family; or null. */
    Registration find(long token) {
        return byToken.get(token);
    }

    /** Python unregistered it: unregisters (GIL released) — the object is released later, with the GIL ({@link #releaseUnregistered}). */
    void unregister(Registration registration) {
        registration.unregister();
    }

    /** GIL held: forgets an unregistered registration and releases its Python object. */
    void releaseUnregistered(Registration registration) {
        forget(registration);
        registration.release();
    }

    private void forget(Registration registration) {
        byToken.remove(registration.token);
        List<Registration> list = registration.host == null ? null : byHost.get(registration.host);
        if (list != null) {
            list.remove(registration);
        }
    }

    /** The service property naming the context (or preload) a Python service runs in. */
    public static final String HOST_PROPERTY = "pyhost.host";

    /** {@code host} now describes itself differently (a preload handed to its context): its services say so. */
    public void describeAgain(PythonHost host) {
        List<Registration> list = byHost.get(host);
        if (list == null) {
            return;
        }
        for (Registration r : list) {
            ServiceRegistration<?> registration = r.registration;
            if (registration == null) {
                continue;
            }
            try {
                var ref = registration.getReference();
                Hashtable<String, Object> props = new Hashtable<>();
                for (String key : ref.getPropertyKeys()) {
                    props.put(key, ref.getProperty(key));
                }
                props.put(HOST_PROPERTY, host.describe());
                registration.setProperties(props);
            } catch (IllegalStateException unregistered) {
                // gone meanwhile
            }
        }
    }

    /** Unregisters every service of {@code host} (no GIL held: consumers are told synchronously). */
    public void unregisterAll(PythonHost host) {
        List<Registration> list = byHost.get(host);
        if (list != null) {
            list.forEach(Registration::unregister);
        }
    }

    /** GIL of {@code host}'s interpreter held: unregisters what is left and releases every Python object of {@code host}. */
    public void endAll(PythonHost host) {
        List<Registration> list = byHost.remove(host);
        if (list != null) {
            for (Registration r : list) {
                byToken.remove(r.token);
                r.release();
            }
            if (!list.isEmpty()) {
                Thread.ofVirtual().name("pyhost-unregister").start(() -> list.forEach(Registration::unregister)); // never under the GIL
            }
        }
    }

    /** Forgets {@code host}'s registrations whose interpreter is gone (its objects went with it). */
    public void forgetAll(PythonHost host) {
        List<Registration> list = byHost.remove(host);
        if (list != null) {
            list.forEach(r -> {
                byToken.remove(r.token);
                r.unregister();
            });
        }
    }

    /** How many registrations {@code host} has (tests). */
    public int count(PythonHost host) {
        List<Registration> list = byHost.get(host);
        return list == null ? 0 : list.size();
    }

    // ---- loading interfaces through the framework's wiring ----

    private static Class<?> load(BundleContext bc, String name) {
        int dot = name.lastIndexOf('.');
        if (dot <= 0) {
            throw new IllegalArgumentException("'" + name + "' is not a fully qualified interface name");
        }
        if (name.startsWith("java.")) {
            try {
                return Class.forName(name, false, null);
            } catch (ClassNotFoundException e) {
                throw new IllegalArgumentException("no interface " + name + " in the JDK");
            }
        }
        String pkg = name.substring(0, dot);
        BundleWiring best = null;
        Version bestVersion = null;
        for (Bundle bundle : bc.getBundles()) {
            BundleWiring wiring = bundle.adapt(BundleWiring.class);
            if (wiring == null) {
                continue;
            }
            for (BundleCapability cap : wiring.getCapabilities(PackageNamespace.PACKAGE_NAMESPACE)) {
                if (pkg.equals(cap.getAttributes().get(PackageNamespace.PACKAGE_NAMESPACE))) {
                    Version v = cap.getAttributes().get(PackageNamespace.CAPABILITY_VERSION_ATTRIBUTE) instanceof Version version
                            ? version : Version.emptyVersion;
                    if (bestVersion == null || v.compareTo(bestVersion) > 0) {
                        best = wiring;
                        bestVersion = v;
                    }
                }
            }
        }
        if (best == null) {
            throw new IllegalArgumentException("no bundle exports the package " + pkg + " of " + name);
        }
        try {
            return best.getClassLoader().loadClass(name);
        } catch (ClassNotFoundException | RuntimeException e) {
            throw new IllegalArgumentException("the package " + pkg + " (exported by " + best.getBundle().getSymbolicName()
                    + ") has no " + name);
        }
    }

    /** A class loader that sees every interface (a proxy class must see them all by name). */
    private static ClassLoader loaderFor(List<Class<?>> interfaces) {
        Set<ClassLoader> loaders = new LinkedHashSet<>();
        for (Class<?> c : interfaces) {
            loaders.add(c.getClassLoader() == null ? ClassLoader.getPlatformClassLoader() : c.getClassLoader());
        }
        if (loaders.size() == 1) {
            return loaders.iterator().next();
        }
        return new ClassLoader(null) {
            @Override
            protected Class<?> findClass(String name) throws ClassNotFoundException {
                for (ClassLoader l : loaders) {
                    try {
                        return l.loadClass(name);
                    } catch (ClassNotFoundException e) {
                        // the next one
                    }
                }
                throw new ClassNotFoundException(name);
            }
        };
    }

    /** The service id of a registration, or -1 once it is unregistered. */
    static long serviceId(Registration r) {
        try {
            return (Long) r.registration.getReference().getProperty(Constants.SERVICE_ID);
        } catch (RuntimeException gone) {
            return -1;
        }
    }
}
