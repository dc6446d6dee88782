package io.pyhost.spi;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.osgi.annotation.versioning.ProviderType;

/**
 * What the {@code pyhost} Python module reaches in Java, for a context that runs Python outside
 * this JVM ({@link ContextProvider}, mode {@code process}): core gives one in every
 * {@link ContextRequest}. It is the same Java side the in-process modes use: the
 * {@link io.pyhost.api.PyFunction} whiteboard, the services exported to Python, Java objects lent
 * by reference, and Python objects registered as OSGi services. The provider carries calls and
 * values over its own channel and keeps its own table of what it lent.
 *
 * <p>Thread-safe; every method may run Java code of other bundles (a function, a service's
 * method, a service listener), so none is called while anything of the provider is locked.
 */
@ProviderType
public interface JavaAccess {

    /**
     * The Python source of the {@code pyhost} module, the same in every mode. The provider runs it in
     * its interpreter, before the preload, in a namespace that holds {@code _raw(op, *args)}: its
     * function that carries operation {@code op} (the source's {@code _OP_*} constants: {@code CALL},
     * {@code FUNCTIONS}, {@code INVOKE}, {@code SERVICES}, {@code REGISTER}, {@code UNREGISTER},
     * {@code OUTPUT}, {@code LOG}, {@code GUARD}) to the methods below.
     */
    String pyhostModule();

    /** The names of the Java functions visible now, sorted ({@code pyhost.functions()}). */
    List<String> functions();

    /**
     * Calls the best-ranked {@link io.pyhost.api.PyFunction} named {@code name}. The result is
     * copied into plain JDK values where the value table holds it; any other object is returned
     * as it is, for the provider to {@link #lend}.
     *
     * @throws Unavailable no such function is registered
     * @throws Refused     the result cannot be converted (a cycle, nesting too deep)
     * @throws Exception   what the function threw
     */
    Object call(String name, List<Object> args, Map<String, Object> kwargs) throws Exception;

    /**
     * Lends {@code object} to Python by reference ({@code pyhost.JavaObject}).
     *
     * @throws IllegalArgumentException pyhost never lends objects of that type (a class loader, a
     *                                  thread, reflection, pyhost's own implementation)
     */
    Lent lend(Object object);

    /**
     * The services of type {@code type} exported to Python and matching the LDAP {@code filter}
     * (or null), best-ranked first; waits up to {@code timeoutMillis} for one when {@code one}.
     *
     * @throws Unavailable              {@code one} and none came
     * @throws IllegalArgumentException a malformed filter or type name
     */
    List<Lent> services(String type, String filter, long timeoutMillis, boolean one);

    /**
     * Registers an OSGi service implementing the interfaces {@code types}, loaded through the
     * framework's wiring, whose methods are answered by {@code target}. It is unregistered by
     * {@link Registration#unregister()}, which the provider calls at the latest when the context closes.
     *
     * @param owner how the service's {@code pyhost.host} property names its context
     * @throws IllegalArgumentException a type is no interface, cannot be loaded, or may not be implemented by Python
     * @throws Unavailable              there is no OSGi framework
     */
    Registration register(String owner, List<String> types, Map<String, Object> properties, Target target);

    /**
     * A line the context's code wrote to {@code sys.stdout} ({@code error}: {@code sys.stderr}) when
     * the context has no output sink: logged as {@code python.output}, as in the other modes.
     */
    void printed(String owner, boolean error, String line);

    /** A record of Python's {@code logging}, logged as {@code python.<logger>} (OSGi Log Service, else {@code System.Logger}). */
    void log(String owner, String logger, int level, String message, String traceback, String origin);

    /** A Java object lent to Python. */
    interface Lent {
        /** For messages and {@code repr}: the type's name, or the service's interface. */
        String label();

        /** The public method names Python may call. */
        Set<String> methods();

        /**
         * Calls the public method {@code method} with {@code args} converted to its parameters
         * (overloads chosen by arity and type). The result as {@link JavaAccess#call} gives it.
         *
         * @throws Refused                 no method of that name takes these arguments, or the result cannot be converted
         * @throws Unavailable              the service left
         * @throws Exception                what the method threw
         */
        Object invoke(String method, List<Object> args) throws Exception;

        /** The object itself (a service: its service object), when Python hands it back to Java. */
        Object object();

        /** Python dropped it: a service is released (ungot). Idempotent. */
        void release();
    }

    /** The Python side of a registered service: answers the proxy's method calls. */
    @FunctionalInterface
    interface Target {
        /** What a missing attribute answers: the interface's default method runs, as in Java. */
        Object NO_ATTRIBUTE = new Object();

        /**
         * Calls method {@code name} of the Python object with {@code args}; returns
         * {@link #NO_ATTRIBUTE} when the object has no such attribute and {@code isDefault}.
         */
        Object invoke(String name, List<Object> args, boolean isDefault) throws Exception;
    }

    /** A registered service. */
    interface Registration {
        /** Its {@code service.id}. */
        long serviceId();

        /** Unregisters it; consumers are told synchronously. Idempotent. */
        void unregister();
    }

    /** Python's {@code TypeError}: pyhost refused the call (no fitting method) or its result (cannot be converted). */
    final class Refused extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public Refused(String message) {
            super(message);
        }
    }

    /** Python's {@code pyhost.ServiceUnavailable}: the function or service is absent, has left, or is not exported. */
    final class Unavailable extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final String type;

        public Unavailable(String type, String message) {
            super(message);
            this.type = type;
        }

        /** The Java type that is unavailable ({@code io.pyhost.api.PyFunction}, a service interface). */
        public String type() {
            return type;
        }
    }
}
