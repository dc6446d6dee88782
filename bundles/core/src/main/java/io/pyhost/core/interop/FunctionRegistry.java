package io.pyhost.core.interop;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

import io.pyhost.api.PyFunction;

/**
 * The {@link PyFunction} services Python can call, by name: for each name the best-ranked
 * service wins (then the lowest service id), as OSGi orders services. One per class loader:
 * every interpreter's {@code pyhost} module of this core reads it; the whiteboard in
 * {@code PythonContextFactory} fills it. Thread-safe.
 */
public final class FunctionRegistry {
    private static final FunctionRegistry SHARED = new FunctionRegistry();

    /** One registered function. */
    public record Entry(String name, PyFunction function, int ranking, long serviceId) {
        public Entry {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(function, "function");
        }
    }

    private static final Comparator<Entry> BEST_FIRST = Comparator.comparingInt((Entry e) -> -e.ranking())
            .thenComparingLong(Entry::serviceId);

    private final Map<String, TreeSet<Entry>> byName = new ConcurrentHashMap<>();

    private FunctionRegistry() {
    }

    /** The registry of this core. */
    public static FunctionRegistry shared() {
        return SHARED;
    }

    public void add(Entry entry) {
        byName.compute(entry.name(), (name, set) -> {
            TreeSet<Entry> next = set == null ? new TreeSet<>(BEST_FIRST) : new TreeSet<>(set);
            next.add(entry);
            return next;
        });
    }

    public void remove(long serviceId) {
        for (String name : List.copyOf(byName.keySet())) {
            byName.computeIfPresent(name, (n, set) -> {
                TreeSet<Entry> next = new TreeSet<>(set);
                next.removeIf(e -> e.serviceId() == serviceId);
                return next.isEmpty() ? null : next;
            });
        }
    }

    /** The function Python gets for {@code name} now, or null. */
    public Entry best(String name) {
        TreeSet<Entry> set = byName.get(name);
        return set == null || set.isEmpty() ? null : set.first();
    }

    /** The visible names, sorted. */
    public List<String> names() {
        return byName.keySet().stream().filter(name -> !name.startsWith("_")).sorted().toList(); // "_": private (PyFunction)
    }
}
