package io.pyhost.core;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

import org.osgi.service.component.annotations.Component;

import io.pyhost.api.Fragment;
import io.pyhost.api.PreloadService;

/**
 * Holds everything that makes up the preload: the application's code, paths and imports, and
 * what plugins contribute. Every change makes a new version; {@link #snapshot()} gives a
 * consistent view of one version.
 *
 * <p>Fragment order: ascending order, then bundle symbolic name, then bundle version, then entry
 * path (services: their origin); the application code is always last.
 */
@Component(service = {PreloadService.class, PreloadRegistry.class})
public final class PreloadRegistry implements PreloadService {
    private static final Pattern MODULE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*");

    /** A fragment with the keys that decide its place. */
    public record Contributed(Fragment fragment, String symbolicName, org.osgi.framework.Version version, String path) {
    }

    /** What one plugin (bundle or service) contributes. */
    public record Contribution(List<Contributed> fragments, List<String> paths, List<String> imports) {
        public Contribution {
            fragments = List.copyOf(fragments);
            paths = List.copyOf(paths);
            imports = List.copyOf(imports);
        }
    }

    private static final Comparator<Contributed> ORDER = Comparator
            .comparingInt((Contributed c) -> c.fragment().order())
            .thenComparing(Contributed::symbolicName)
            .thenComparing(Contributed::version)
            .thenComparing(Contributed::path);

    private final Object lock = new Object();
    private String code;
    private final LinkedHashSet<String> paths = new LinkedHashSet<>();
    private final LinkedHashSet<String> imports = new LinkedHashSet<>();
    private final Map<String, Contribution> contributions = new java.util.TreeMap<>(); // by owner: a stable order of paths and imports
    private long version = 1;
    private final List<Runnable> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private PreloadSnapshot snapshot;

    @Override
    public void setCode(String code) {
        Objects.requireNonNull(code, "code");
        if (code.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("preload code contains a NUL character");
        }
        synchronized (lock) {
            this.code = code;
            changed();
        }
    }

    @Override
    public Optional<String> getCode() {
        synchronized (lock) {
            return Optional.ofNullable(code);
        }
    }

    @Override
    public void clearCode() {
        synchronized (lock) {
            if (code != null) {
                code = null;
                changed();
            }
        }
    }

    @Override
    public List<Fragment> fragments() {
        return snapshot().fragments();
    }

    @Override
    public String effectiveCode() {
        StringBuilder out = new StringBuilder();
        for (Fragment f : fragments()) {
            out.append("# --- ").append(f.origin()).append(" (order ").append(f.order()).append(") ---\n");
            out.append(f.code());
            if (!f.code().endsWith("\n")) {
                out.append('\n');
            }
        }
        return out.toString();
    }

    @Override
    public void addPath(String dir) {
        if (dir == null || dir.isBlank()) {
            throw new IllegalArgumentException("path is null or blank");
        }
        if (dir.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("path contains a NUL character");
        }
        synchronized (lock) {
            if (paths.add(dir)) {
                changed();
            }
        }
    }

    @Override
    public boolean removePath(String dir) {
        synchronized (lock) {
            boolean removed = paths.remove(dir);
            if (removed) {
                changed();
            }
            return removed;
        }
    }

    @Override
    public List<String> paths() {
        return snapshot().paths();
    }

    @Override
    public void addImport(String module) {
        checkModuleName(module);
        synchronized (lock) {
            if (imports.add(module)) {
                changed();
            }
        }
    }

    /** Refuses anything but a dotted Python identifier: imports are run as {@code import <name>}. */
    static void checkModuleName(String module) {
        if (module == null || !MODULE.matcher(module).matches()) {
            throw new IllegalArgumentException("not a Python module name: " + (module == null ? "null" : "'" + module + "'"));
        }
    }

    @Override
    public boolean removeImport(String module) {
        synchronized (lock) {
            boolean removed = imports.remove(module);
            if (removed) {
                changed();
            }
            return removed;
        }
    }

    @Override
    public List<String> imports() {
        return snapshot().imports();
    }

    @Override
    public long version() {
        synchronized (lock) {
            return version;
        }
    }

    /** Adds or replaces what {@code owner} contributes. */
    public void contribute(String owner, Contribution contribution) {
        for (String module : contribution.imports()) {
            checkModuleName(module);
        }
        synchronized (lock) {
            contributions.put(owner, contribution);
            changed();
        }
    }

    /** Removes what {@code owner} contributed; {@code true} if it had contributed anything. */
    public boolean withdraw(String owner) {
        synchronized (lock) {
            boolean removed = contributions.remove(owner) != null;
            if (removed) {
                changed();
            }
            return removed;
        }
    }

    /** The current version, consistent in itself. */
    public PreloadSnapshot snapshot() {
        synchronized (lock) {
            if (snapshot == null) {
                List<Contributed> all = new ArrayList<>();
                LinkedHashSet<String> allPaths = new LinkedHashSet<>(paths);
                LinkedHashSet<String> allImports = new LinkedHashSet<>(imports);
                contributions.values().forEach(c -> {
                    all.addAll(c.fragments());
                    allPaths.addAll(c.paths());
                    allImports.addAll(c.imports());
                });
                all.sort(ORDER);
                List<Fragment> fragments = new ArrayList<>(all.size() + 1);
                all.forEach(c -> fragments.add(c.fragment()));
                if (code != null) {
                    fragments.add(new Fragment(Fragment.APPLICATION, Integer.MAX_VALUE, code));
                }
                snapshot = new PreloadSnapshot(version, new ArrayList<>(allPaths), new ArrayList<>(allImports), fragments);
            }
            return snapshot;
        }
    }

    private void changed() {
        version++;
        snapshot = null;
        listeners.forEach(Runnable::run); // cheap, non-blocking signals (the warm pool's refill)
    }

    /** Runs {@code listener} after every change (under the registry's lock: it must not block). */
    public void addChangeListener(Runnable listener) {
        listeners.add(listener);
    }

    /** Stops running {@code listener}. */
    public void removeChangeListener(Runnable listener) {
        listeners.remove(listener);
    }
}
