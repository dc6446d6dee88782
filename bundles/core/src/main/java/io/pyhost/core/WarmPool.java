package io.pyhost.core;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Sub-interpreters created ahead of need, with the current preload already applied, so that
 * {@code create} takes one in well under a millisecond instead of paying the 25-80 ms of a new
 * interpreter plus the preload's run. One background thread ({@code pyhost-pool}) keeps each
 * configured mode's pool full, replaces entries made for an older preload version, and closes
 * the entries of a strategy that left. A pool of size 0 (the default) costs nothing.
 */
final class WarmPool {
    private static final Logger LOG = System.getLogger(WarmPool.class.getName());

    /** An interpreter with the shared preload applied, not yet given to a context. */
    record Prepared(ContextEngine.Opened opened, long version) {
    }

    /** What to keep ready for one strategy. */
    record Target(String mode, Object owner, int size, Maker maker) {
    }

    /** Opens an interpreter and applies the shared preload of the given version. */
    @FunctionalInterface
    interface Maker {
        ContextEngine.Opened make();
    }

    private final LongSupplier currentVersion;
    private final java.util.function.Consumer<ContextEngine.Opened> discard;
    private final Map<Object, ArrayDeque<Prepared>> ready = new HashMap<>(); // guarded by this
    private Map<Object, Target> targets = Map.of();                          // guarded by this
    private final Map<Object, Long> failedAt = new HashMap<>();              // guarded by this: back-off
    private Thread thread;                                                   // guarded by this
    private boolean stopped;                                                 // guarded by this
    private boolean signalled;                                               // guarded by this

    WarmPool(LongSupplier currentVersion, java.util.function.Consumer<ContextEngine.Opened> discard) {
        this.currentVersion = currentVersion;
        this.discard = discard;
    }

    /** Sets what to keep ready; entries of owners no longer targeted are closed. */
    void setTargets(List<Target> wanted) {
        List<Prepared> dropped = new ArrayList<>();
        synchronized (this) {
            Map<Object, Target> next = new HashMap<>();
            wanted.stream().filter(t -> t.size() > 0).forEach(t -> next.put(t.owner(), t));
            for (var it = ready.entrySet().iterator(); it.hasNext(); ) {
                var entry = it.next();
                if (!next.containsKey(entry.getKey())) {
                    dropped.addAll(entry.getValue());
                    it.remove();
                }
            }
            targets = next;
            if (!next.isEmpty() && thread == null && !stopped) {
                thread = new Thread(this::refill, "pyhost-pool");
                thread.setDaemon(true);
                thread.start();
            }
            signal();
        }
        dropped.forEach(p -> discard.accept(p.opened()));
    }

    /** A ready interpreter of {@code owner} for preload {@code version}, or null. */
    ContextEngine.Opened take(Object owner, long version) {
        List<Prepared> stale = new ArrayList<>();
        ContextEngine.Opened taken = null;
        synchronized (this) {
            ArrayDeque<Prepared> queue = ready.get(owner);
            while (queue != null && !queue.isEmpty()) {
                Prepared p = queue.poll();
                if (p.version() == version) {
                    taken = p.opened();
                    break;
                }
                stale.add(p);
            }
            if (targets.containsKey(owner)) {
                signal();
            }
        }
        stale.forEach(p -> discard.accept(p.opened()));
        return taken;
    }

    /** Wakes the refill thread (a preload change, an entry taken). */
    synchronized void signal() {
        signalled = true;
        notifyAll();
    }

    /** How many entries are ready for {@code owner} (tests, diagnostics). */
    synchronized int readyCount(Object owner) {
        ArrayDeque<Prepared> queue = ready.get(owner);
        return queue == null ? 0 : queue.size();
    }

    /** Stops the refill thread and closes every ready entry. */
    void stop() {
        List<Prepared> dropped = new ArrayList<>();
        Thread refiller;
        synchronized (this) {
            stopped = true;
            targets = Map.of();
            ready.values().forEach(dropped::addAll);
            ready.clear();
            refiller = thread;
            notifyAll();
        }
        if (refiller != null) {
            try {
                refiller.join(io.pyhost.core.bridge.SubInterpreter.CLOSE_BOUND.toMillis()); // a preload may never return
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (this) {
            ready.values().forEach(dropped::addAll); // made while we stopped
            ready.clear();
        }
        dropped.forEach(p -> discard.accept(p.opened()));
    }

    private void refill() {
        while (true) {
            Target work = null;
            List<Prepared> stale = new ArrayList<>();
            long version = currentVersion.getAsLong();
            synchronized (this) {
                while (!stopped && (work = nextWork(version, stale)) == null && stale.isEmpty()) {
                    signalled = false;
                    try {
                        wait(5_000); // also retries after a failure's back-off
                    } catch (InterruptedException e) {
                        return;
                    }
                    version = currentVersion.getAsLong();
                }
                if (stopped) {
                    return;
                }
            }
            stale.forEach(p -> discard.accept(p.opened()));
            if (work == null) {
                continue;
            }
            try {
                ContextEngine.Opened opened = work.maker().make();
                boolean keep;
                synchronized (this) {
                    keep = !stopped && targets.get(work.owner()) == work;
                    if (keep) {
                        ready.computeIfAbsent(work.owner(), o -> new ArrayDeque<>()).add(new Prepared(opened, version));
                    }
                }
                if (!keep) {
                    discard.accept(opened);
                }
            } catch (RuntimeException e) {
                synchronized (this) {
                    failedAt.put(work.owner(), System.nanoTime());
                }
                LOG.log(Level.WARNING, "pyhost: warm pool for mode " + work.mode() + " cannot prepare an interpreter; retrying in 5 s", e);
            }
        }
    }

    /** Holding the lock: a target short of entries, after moving stale entries to {@code stale}. */
    private Target nextWork(long version, List<Prepared> stale) {
        for (Target target : targets.values()) {
            ArrayDeque<Prepared> queue = ready.computeIfAbsent(target.owner(), o -> new ArrayDeque<>());
            queue.removeIf(p -> {
                if (p.version() != version) {
                    stale.add(p);
                    return true;
                }
                return false;
            });
            Long failed = failedAt.get(target.owner());
            if (failed != null && System.nanoTime() - failed < 5_000_000_000L) {
                continue;
            }
            if (queue.size() < target.size()) {
                return target;
            }
        }
        return null;
    }
}
