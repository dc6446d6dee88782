package io.pyhost.strategy.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import io.pyhost.spi.JavaAccess;

/**
 * A {@link JavaAccess} without OSGi for unit tests: core's own pyhost module source (read from core's
 * sources), functions from a map, Java objects lent by reflection (counted, so tests see what was
 * given back), no services.
 */
final class FakeJava implements JavaAccess {
    /** A Java function: (args, kwargs) -> result; may throw. */
    @FunctionalInterface
    interface Function {
        Object apply(List<Object> args, Map<String, Object> kwargs) throws Exception;
    }

    private static String source;
    final Map<String, Function> functions = new ConcurrentHashMap<>();
    final AtomicInteger lentCount = new AtomicInteger();
    final AtomicInteger releasedCount = new AtomicInteger();

    FakeJava with(String name, Function f) {
        functions.put(name, f);
        return this;
    }


    /** Lent objects Python still holds. */
    int outstanding() {
        return lentCount.get() - releasedCount.get();
    }

    @Override
    public synchronized String pyhostModule() {
        if (source == null) {
            try {
                source = Files.readString(Path.of("../core/src/main/resources/io/pyhost/core/interop/pyhost_module.py"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return source;
    }

    @Override
    public List<String> functions() {
        return List.copyOf(new TreeSet<>(functions.keySet()));
    }

    @Override
    public Object call(String name, List<Object> args, Map<String, Object> kwargs) throws Exception {
        Function f = functions.get(name);
        if (f == null) {
            throw new Unavailable("io.pyhost.api.PyFunction", "no function '" + name + "' is registered");
        }
        return f.apply(args, kwargs);
    }

    @Override
    public Lent lend(Object object) {
        if (object instanceof Class<?> || object instanceof Thread || object instanceof ClassLoader) {
            throw new IllegalArgumentException("pyhost never lends a " + object.getClass().getName());
        }
        lentCount.incrementAndGet();
        Set<String> methods = new TreeSet<>();
        for (Method m : object.getClass().getMethods()) {
            if (!Modifier.isStatic(m.getModifiers())) {
                methods.add(m.getName());
            }
        }
        AtomicInteger once = new AtomicInteger();
        return new Lent() {
            @Override
            public String label() {
                return "Java " + object.getClass().getName();
            }

            @Override
            public Set<String> methods() {
                return methods;
            }

            @Override
            public Object invoke(String method, List<Object> args) throws Exception {
                for (Method m : object.getClass().getMethods()) {
                    if (m.getName().equals(method) && m.getParameterCount() == args.size()) {
                        return m.invoke(object, args.toArray());
                    }
                }
                throw new Refused("no method " + method + " taking " + args.size() + " arguments");
            }

            @Override
            public Object object() {
                return object;
            }

            @Override
            public void release() {
                if (once.incrementAndGet() == 1) {
                    releasedCount.incrementAndGet();
                }
            }
        };
    }

    @Override
    public List<Lent> services(String type, String filter, long timeoutMillis, boolean one) {
        throw new Unavailable(type, "no services here");
    }

    @Override
    public Registration register(String owner, List<String> types, Map<String, Object> properties, Target target) {
        throw new Unavailable(String.valueOf(types), "no OSGi framework here");
    }

    @Override
    public void printed(String owner, boolean error, String line) {
    }

    @Override
    public void log(String owner, String logger, int level, String message, String traceback, String origin) {
    }
}
