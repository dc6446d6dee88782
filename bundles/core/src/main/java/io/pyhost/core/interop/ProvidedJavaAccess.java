package io.pyhost.core.interop;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.pyhost.spi.JavaAccess;

/**
 * What a context outside this JVM (a {@link io.pyhost.spi.ContextProvider}'s) reaches in Java:
 * the same function whiteboard, exported services, method calls and Python services as the
 * in-process {@code pyhost} module ({@link PyhostModule}), without its Python half. Values are
 * handed over as plain JDK values; the provider carries them over its channel.
 */
public final class ProvidedJavaAccess implements JavaAccess {
    /** The one instance: the tables it uses are core's, shared by every mode. */
    public static final ProvidedJavaAccess INSTANCE = new ProvidedJavaAccess();

    private ProvidedJavaAccess() {
    }

    @Override
    public String pyhostModule() {
        return PyhostModule.source();
    }

    @Override
    public List<String> functions() {
        return FunctionRegistry.shared().names();
    }

    @Override
    public Object call(String name, List<Object> args, Map<String, Object> kwargs) throws Exception {
        FunctionRegistry.Entry entry = FunctionRegistry.shared().best(name);
        if (entry == null) {
            throw new Unavailable("io.pyhost.api.PyFunction", "no function '" + name + "' is registered");
        }
        return plain(entry.function().apply(args, kwargs));
    }

    /** {@link PlainCopy}, refusing what cannot be converted as Python's TypeError. */
    static Object plain(Object result) {
        try {
            return PlainCopy.of(result);
        } catch (IllegalArgumentException unconvertible) {
            throw new Refused(unconvertible.getMessage());
        }
    }

    @Override
    public Lent lend(Object object) {
        JavaObjects.refuseUnlendable(object);
        return new LentObject(new JavaObjects.Lent(object, JavaMethods.of(object.getClass()), "Java " + object.getClass().getName(),
                JavaObjects.NOTHING, JavaObjects.NOTHING));
    }

    @Override
    public List<Lent> services(String type, String filter, long timeoutMillis, boolean one) {
        List<Lent> found = new ArrayList<>();
        try {
            for (var ref : ExportedServices.shared().find(type, filter, timeoutMillis, one)) {
                try {
                    found.add(new LentObject(ExportedServices.shared().lend(ref, type)));
                } catch (ExportedServices.Unavailable left) {
                    // it left between lookup and get: the next one, if any
                }
                if (one && !found.isEmpty()) {
                    break;
                }
            }
        } catch (ExportedServices.Unavailable e) {
            found.forEach(Lent::release);
            throw new Unavailable(type, e.getMessage());
        }
        if (one && found.isEmpty()) {
            throw new Unavailable(type, "the service " + type + " left as it was looked up");
        }
        return found;
    }

    @Override
    public Registration register(String owner, List<String> types, Map<String, Object> properties, Target target) {
        try {
            return PythonServices.shared().register(owner, types, target, properties);
        } catch (ExportedServices.Unavailable e) {
            throw new Unavailable(String.valueOf(types), e.getMessage());
        }
    }

    @Override
    public void printed(String owner, boolean error, String line) {
        PythonLog.output(owner, error, line);
    }

    @Override
    public void log(String owner, String logger, int level, String message, String traceback, String origin) {
        PythonLog.record(owner, logger, level, message, traceback, origin);
    }

    /** A lent object or service: calls check that a service is still there. */
    private record LentObject(JavaObjects.Lent lent) implements Lent {
        @Override
        public String label() {
            return lent.label();
        }

        @Override
        public Set<String> methods() {
            return lent.methods().keySet();
        }

        @Override
        public Object invoke(String method, List<Object> args) throws Exception {
            try {
                lent.alive().run();
            } catch (JavaObjects.ServiceGone gone) {
                throw new Unavailable(lent.label(), gone.getMessage());
            }
            Object result;
            try {
                result = JavaMethods.invoke(lent.object(), lent.methods(), lent.label(), method, args);
            } catch (JavaMethods.NoSuchCall e) {
                throw new Refused(e.getMessage());
            } catch (Exception | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new java.lang.reflect.UndeclaredThrowableException(t);
            }
            return plain(result);
        }

        @Override
        public Object object() {
            return lent.object();
        }

        @Override
        public void release() {
            try {
                lent.release().run();
            } catch (RuntimeException e) {
                // a service already unregistered, a framework stopping: nothing left to give back
            }
        }
    }
}
