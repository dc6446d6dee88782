package io.pyhost.core.interop;

import java.lang.foreign.MemorySegment;
import java.lang.reflect.Method;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.pyhost.core.bridge.PyRef;
import io.pyhost.core.bridge.PythonInterpreter;
import io.pyhost.core.bridge.Values;

/**
 * Java objects lent to Python as {@code pyhost.JavaObject}s: the objects the value table does not
 * convert (a service's result, an argument Java passes) and the service proxies of
 * {@code pyhost.service}.
 *
 * <p>Each interpreter has its own table from a random, unguessable 63-bit reference to the lent
 * object; the Python stand-in holds only that reference, so it comes back to Java as the very
 * same object. When Python drops a stand-in, its {@code __del__} only appends the reference to a
 * Python list: no Java runs inside a deallocation (it may happen deep in C recursion, where the
 * stack is too short for the JVM). Java empties that list at the next call or upcall, and drops
 * the whole table when the interpreter ends.
 *
 * <p>Some objects are never lent: reflection ({@code Class}, {@code java.lang.reflect},
 * {@code java.lang.invoke}), class loaders, threads, processes, the runtime, modules, native
 * memory (a {@code MemorySegment} becomes a {@code memoryview} for one call instead), and the OSGi framework's own objects ({@code BundleContext}, {@code Bundle}, ...) —
 * through any of them Python would reach past what was exported to it.
 */
public final class JavaObjects implements Values.Foreign {
    static final JavaObjects INSTANCE = new JavaObjects();
    static final String TYPE_KEY = "pyhost.module.JavaObject";
    static final String RELEASED_KEY = "pyhost.module.released";

    private static final SecureRandom REFS = new SecureRandom();
    private static final Set<Class<?>> NEVER_LENT = Set.of(Class.class, ClassLoader.class, Thread.class, ThreadGroup.class,
            Runtime.class, Process.class, ProcessBuilder.class, ProcessHandle.class, Module.class, ModuleLayer.class,
            System.class, StackWalker.class, java.lang.foreign.MemorySegment.class, java.lang.foreign.Arena.class,
            java.lang.foreign.SymbolLookup.class, java.lang.foreign.Linker.class);
    private static final List<String> NEVER_LENT_PACKAGES = List.of("java.lang.reflect.", "java.lang.invoke.",
            "java.lang.ref.", "java.lang.instrument.", "java.lang.management.", "sun.", "jdk.internal.", "org.osgi.framework.",
            "org.apache.felix.framework.", "org.eclipse.osgi.");
    /** pyhost core's own objects (contexts, interpreters): Python gets what its host's API gives, not these. */
    private static final Set<String> CORE_PACKAGES = Set.of("io.pyhost.core", "io.pyhost.core.bridge", "io.pyhost.core.interop");

    /** One lent object. {@code alive} throws ServiceGone when it may no longer be used; {@code release} runs once. */
    record Lent(Object object, Map<String, List<Method>> methods, String label, Runnable alive, Runnable release) {
    }

    /** A lent service whose service left; becomes {@code pyhost.ServiceUnavailable}. */
    static final class ServiceGone extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ServiceGone(String message) {
            super(message, null, false, false);
        }
    }

    private final Map<PythonInterpreter, Map<Long, Lent>> tables = new ConcurrentHashMap<>();
    /** The liveness check and release of a plain Java object: nothing. */
    static final Runnable NOTHING = () -> {
    };

    private JavaObjects() {
    }

    // ---- Values.Foreign ----

    @Override
    public PyRef toPython(Object object) {
        if (object instanceof PythonHandle handle) {
            return handle.newReference(PythonHost.current()); // a PyObject: its own Python object
        }
        if (object instanceof MemorySegment segment) { // a memoryview over it, for the running call
            PythonHost host = PythonHost.current();
            if (host == null) {
                throw new IllegalArgumentException("a MemorySegment reaches Python only as an argument or local of a context's call");
            }
            return host.shareMemory(segment);
        }
        PythonInterpreter in = PyhostModule.here();
        if (in == null) {
            return null;
        }
        refuseUnlendable(object);
        return lend(in, new Lent(object, JavaMethods.of(object.getClass()), "Java " + object.getClass().getName(), NOTHING, NOTHING));
    }

    @Override
    public PyRef standInType(PythonInterpreter in) {
        return in.attachment(TYPE_KEY);
    }

    @Override
    public Object lentObject(PythonInterpreter in, long ref) {
        Lent lent = find(in, ref);
        if (lent == null) {
            throw new IllegalArgumentException("a pyhost.JavaObject whose Java object is no longer lent to Python");
        }
        return lent.object();
    }

    // ---- lending ----

    /** Throws {@link IllegalArgumentException} for an object Python must never hold. */
    static void refuseUnlendable(Object object) {
        for (Class<?> c = object.getClass(); c != null; c = c.getSuperclass()) {
            refuseType(object, c);
            for (Class<?> i : allInterfaces(c)) {
                refuseType(object, i);
            }
        }
    }

    private static void refuseType(Object object, Class<?> type) {
        String name = type.getName();
        if (NEVER_LENT.contains(type) || NEVER_LENT_PACKAGES.stream().anyMatch(name::startsWith)
                || CORE_PACKAGES.contains(type.getPackageName()) && type.getClassLoader() == JavaObjects.class.getClassLoader()) {
            throw new IllegalArgumentException("pyhost does not give Python a Java " + object.getClass().getName()
                    + (type != object.getClass() ? " (a " + name + ")" : "")
                    + ": through it Python could reach past what was exported to it");
        }
    }

    private static List<Class<?>> allInterfaces(Class<?> c) {
        List<Class<?>> out = new ArrayList<>();
        for (Class<?> i : c.getInterfaces()) {
            out.add(i);
            out.addAll(allInterfaces(i));
        }
        return out;
    }

    /** Lends {@code lent} to {@code in}: a new reference to its stand-in. GIL held. */
    PyRef lend(PythonInterpreter in, Lent lent) {
        Map<Long, Lent> table = tables.computeIfAbsent(in, this::newTable);
        long ref;
        do {
            ref = REFS.nextLong() & Long.MAX_VALUE;
        } while (ref == 0 || table.putIfAbsent(ref, lent) != null);
        try (PyRef make = PyhostModule.function(in, "_make")) {
            return make.callObject(List.of(ref, lent.label(), List.copyOf(lent.methods().keySet())), null);
        } catch (RuntimeException e) {
            table.remove(ref);
            lent.release().run();
            throw e;
        }
    }

    private Map<Long, Lent> newTable(PythonInterpreter in) {
        in.ended().thenRun(() -> {
            Map<Long, Lent> gone = tables.remove(in);
            if (gone != null) {
                gone.values().forEach(JavaObjects::releaseQuietly);
            }
        });
        return new ConcurrentHashMap<>();
    }

    /** The lent object under {@code ref} in {@code in}, or null. */
    Lent find(PythonInterpreter in, long ref) {
        Map<Long, Lent> table = tables.get(in);
        return table == null ? null : table.get(ref);
    }

    /** How many Java objects Python in {@code in} holds now. */
    public static int lentCount(PythonInterpreter in) {
        Map<Long, Lent> table = INSTANCE.tables.get(in);
        return table == null ? 0 : table.size();
    }

    /**
     * Forgets the objects whose stand-ins Python dropped since the last time (the references their
     * {@code __del__} queued). GIL held; runs no Python code.
     */
    void drain(PythonInterpreter in) {
        PyRef released = in.attachment(RELEASED_KEY);
        if (released == null) {
            return;
        }
        long n = released.size();
        if (n <= 0) {
            return;
        }
        Map<Long, Lent> table = tables.get(in);
        List<Lent> dropped = new ArrayList<>(); // those whose release does something (services)
        for (long i = 0; i < n; i++) {
            long ref = released.longItem(i, 0); // 0, no reference: Python put something else there
            if (ref == 0) {
                continue;
            }
            Lent lent = table == null ? null : table.remove(ref);
            if (lent != null && lent.release() != NOTHING) {
                dropped.add(lent);
            }
        }
        released.clearList();
        if (!dropped.isEmpty()) {
            // service proxies give their service back: framework code (a ServiceFactory's ungetService)
            // must not run under the GIL, where it could wait for this very interpreter
            Thread.ofVirtual().name("pyhost-release").start(() -> dropped.forEach(JavaObjects::releaseQuietly));
        }
    }

    private static void releaseQuietly(Lent lent) {
        try {
            lent.release().run();
        } catch (RuntimeException e) {
            // a service already unregistered, a framework stopping: nothing left to give back
        }
    }

}
