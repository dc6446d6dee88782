package io.pyhost.shell;

import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;

import io.pyhost.api.PyContext;

/**
 * The contexts each shell session keeps, one per mode. A context lives as long as its session:
 * Gogo tells nobody when a session closes, so the session object is held weakly and a
 * {@link Cleaner} closes its contexts once the session is gone. {@link #closeAll()} closes
 * every context at once (when the commands component goes away).
 *
 * <p>Thread-safe.
 */
final class SessionContexts {

    /** A session's context and the preload version it was made with. */
    record Kept(PyContext context, long preloadVersion) {
    }

    /** What one session holds; closes it all when the session is collected. Never refers to the session. */
    private static final class Held implements Runnable {
        private final Map<String, Kept> byMode = new LinkedHashMap<>(); // guarded by this
        private Cleaner.Cleanable cleanable;

        synchronized Kept get(String mode) {
            return byMode.get(mode);
        }

        synchronized Kept put(String mode, Kept kept) {
            return byMode.put(mode, kept);
        }

        synchronized List<Kept> remove(String mode) {
            List<Kept> removed = new ArrayList<>();
            if (mode == null) {
                removed.addAll(byMode.values());
                byMode.clear();
            } else if (byMode.containsKey(mode)) {
                removed.add(byMode.remove(mode));
            }
            return removed;
        }

        @Override
        public void run() {
            remove(null).forEach(k -> k.context().close());
        }
    }

    private final Cleaner cleaner = Cleaner.create(runnable -> {
        Thread thread = new Thread(runnable, "pyhost shell session cleaner");
        thread.setDaemon(true);
        return thread;
    });
    private final Map<Object, Held> bySession = new WeakHashMap<>(); // guarded by this

    /** The context {@code session} keeps for {@code mode}, or {@code null}. */
    Kept get(Object session, String mode) {
        Held held;
        synchronized (this) {
            held = bySession.get(session);
        }
        return held == null ? null : held.get(mode);
    }

    /** Keeps {@code kept} for the session and mode; a context kept before for them is closed. */
    void keep(Object session, String mode, Kept kept) {
        Held held;
        synchronized (this) {
            held = bySession.get(session);
            if (held == null) {
                held = new Held();
                held.cleanable = cleaner.register(session, held);
                bySession.put(session, held);
            }
        }
        Kept before = held.put(mode, kept);
        if (before != null && before.context() != kept.context()) {
            before.context().close();
        }
    }

    /** Closes and forgets the session's context for {@code mode} ({@code null}: every mode); returns what was closed. */
    List<PyContext> close(Object session, String mode) {
        Held held;
        synchronized (this) {
            held = bySession.get(session);
        }
        List<PyContext> closed = new ArrayList<>();
        if (held != null) {
            for (Kept kept : held.remove(mode)) {
                kept.context().close();
                closed.add(kept.context());
            }
        }
        return closed;
    }

    /** Closes every session's contexts. */
    void closeAll() {
        List<Held> all;
        synchronized (this) {
            all = new ArrayList<>(bySession.values());
            bySession.clear();
        }
        all.forEach(held -> held.cleanable.clean());
    }
}
