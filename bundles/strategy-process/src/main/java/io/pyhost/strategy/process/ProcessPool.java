package io.pyhost.strategy.process;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import io.pyhost.api.Fragment;
import io.pyhost.spi.ContextRequest;

/**
 * The {@code process} mode's warm pool ({@code warmPool = process=N} in core's configuration):
 * children started ahead of need with the shared preload applied (paths, imports, fragments), so
 * that a creation only sends the context's own part (limits, sandbox, {@code ContextOptions.preload})
 * instead of paying a CPython start. Every creation can be served, whatever its options: the
 * options only matter after the shared preload. A child is kept for one preload, compared by
 * content (paths, imports, fragments with their origins and order) and the distribution; a child
 * made for another preload is never handed out but ended, and the pool refills for the current
 * one. One thread ({@code pyhost-process-pool}) refills; the children themselves are started on
 * the strategy's spawner thread (their parent-death signal is tied to it).
 */
final class ProcessPool {
    private static final Logger LOG = System.getLogger(ProcessPool.class.getName());
    /** How long the pool waits after a child could not be prepared (a preload that raises, say). */
    static final long BACK_OFF_MILLIS = 2_000;

    /** What a pooled child was prepared for. */
    record Key(List<String> paths, List<String> imports, List<Fragment> fragments, Path home, Path library) {
        static Key of(ContextRequest r) {
            return new Key(r.paths(), r.imports(), r.fragments(), r.pythonHome(), r.pythonLibrary());
        }
    }

    private record Ready(ProcessContext child, Key key) {
    }

    private final Path server;
    private final Executor spawner;
    private final ArrayDeque<Ready> ready = new ArrayDeque<>(); // guarded by this
    private int size;                                           // guarded by this
    private Supplier<ContextRequest> template;                  // guarded by this
    private boolean signalled;                                  // guarded by this
    private boolean stopped;                                    // guarded by this
    private Thread thread;                                      // guarded by this
    private final AtomicLong served = new AtomicLong();
    private final AtomicLong discarded = new AtomicLong();

    ProcessPool(Path server, Executor spawner) {
        this.server = server;
        this.spawner = spawner;
    }

    /** Keeps {@code size} children ready, prepared as {@code template} says (asked again at each refill). */
    void configure(int size, Supplier<ContextRequest> template) {
        synchronized (this) {
            if (stopped) {
                return;
            }
            this.size = Math.max(0, size);
            this.template = template;
            if (this.size > 0 && thread == null) {
                thread = Thread.ofPlatform().daemon().name("pyhost-process-pool").start(this::refill);
            }
            signalled = true;
            notifyAll();
        }
    }

    /** A ready child prepared for {@code request}'s preload, or null; children for another preload are ended. */
    ProcessContext take(ContextRequest request) {
        Key key = Key.of(request);
        List<ProcessContext> stale = new ArrayList<>();
        ProcessContext taken = null;
        synchronized (this) {
            while (!ready.isEmpty()) {
                Ready next = ready.pollFirst();
                if (next.child().isClosed()) {
                    continue; // it died waiting
                }
                if (!next.key().equals(key)) {
                    stale.add(next.child());
                    continue;
                }
                taken = next.child();
                break;
            }
            signalled = true;
            notifyAll();
        }
        end(stale);
        if (taken != null) {
            served.incrementAndGet();
        }
        return taken;
    }

    /** How many children are ready now. */
    synchronized int readyCount() {
        return (int) ready.stream().filter(r -> !r.child().isClosed()).count();
    }

    /** The ready children's process ids (for tests and diagnostics). */
    synchronized List<Long> readyPids() {
        return ready.stream().map(r -> r.child().pid()).toList();
    }

    /** How many creations the pool served. */
    long served() {
        return served.get();
    }

    /** How many pooled children were ended unused (another preload, a smaller pool, the pool stopped). */
    long discarded() {
        return discarded.get();
    }

    /** Ends every ready child; the pool stays stopped. */
    void stop() {
        List<ProcessContext> all = new ArrayList<>();
        synchronized (this) {
            stopped = true;
            ready.forEach(r -> all.add(r.child()));
            ready.clear();
            notifyAll();
        }
        end(all);
    }

    private void end(List<ProcessContext> children) {
        for (ProcessContext child : children) {
            discarded.incrementAndGet();
            child.close("it was a warm pool's child no longer wanted");
        }
    }

    private void refill() {
        while (true) {
            int wanted;
            Supplier<ContextRequest> source;
            synchronized (this) {
                while (!signalled && !stopped) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (stopped) {
                    return;
                }
                signalled = false;
                wanted = size;
                source = template;
            }
            ContextRequest request = null;
            if (wanted > 0 && source != null) {
                try {
                    request = source.get();
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "pyhost: the process warm pool could not learn the current preload", e);
                }
            }
            Key key = request == null ? null : Key.of(request);
            List<ProcessContext> stale = new ArrayList<>();
            int have;
            synchronized (this) {
                for (var it = ready.iterator(); it.hasNext(); ) {
                    Ready r = it.next();
                    if (r.child().isClosed() || !r.key().equals(key)) {
                        it.remove();
                        if (!r.child().isClosed()) {
                            stale.add(r.child());
                        }
                    }
                }
                while (ready.size() > wanted) {
                    stale.add(ready.pollLast().child());
                }
                have = ready.size();
            }
            end(stale);
            for (int i = have; request != null && i < wanted; i++) {
                ProcessContext child;
                try {
                    child = ProcessContext.prepare(request, server, spawner, true);
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "pyhost: the process warm pool could not prepare a child; retrying in "
                            + BACK_OFF_MILLIS + " ms", e);
                    synchronized (this) {
                        try {
                            wait(BACK_OFF_MILLIS);
                        } catch (InterruptedException ie) {
                            return;
                        }
                        signalled = true;
                    }
                    break;
                }
                boolean keep;
                synchronized (this) {
                    keep = !stopped && ready.size() < size;
                    if (keep) {
                        ready.addLast(new Ready(child, key));
                    }
                }
                if (!keep) {
                    end(List.of(child));
                    break;
                }
            }
        }
    }
}
