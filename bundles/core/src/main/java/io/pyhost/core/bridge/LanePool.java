package io.pyhost.core.bridge;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A bounded set of {@link CallLane}s for the main interpreter's handed-off calls (virtual
 * callers, calls with a timeout). A call goes to the most recently idle lane, which is likely
 * still spinning; a new lane starts when all are busy (a call blocked in {@code time.sleep}
 * must not hold up the others) until {@code maxLanes} run; past that, calls wait in arrival
 * order for the next free lane (their callers' timeouts keep running). A lane idle for 30 s
 * ends. Each lane keeps its Python thread state while it lives and frees it when it ends.
 *
 * <p>Why a bound: 2,000 virtual threads calling 2,000 worker contexts would otherwise start
 * 2,000 platform threads, all queued on the one GIL of the main interpreter anyway.
 */
final class LanePool {
    private static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(30);
    private static final Runnable STOP = () -> { };

    private final String prefix;
    private volatile int maxLanes;
    private final Runnable onLaneExit;
    private final ConcurrentLinkedQueue<Runnable> waiting = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedDeque<Lane> idle = new ConcurrentLinkedDeque<>();
    private final Set<Lane> lanes = ConcurrentHashMap.newKeySet();
    private final AtomicInteger count = new AtomicInteger();
    private volatile boolean stopped;

    private static final int IDLE = 0;
    private static final int BUSY = 1;
    private static final int DEAD = 2;

    private final class Lane {
        final AtomicInteger state = new AtomicInteger(BUSY);
        final CallLane lane = new CallLane(prefix + count.incrementAndGet(), this::serve);

        void serve() {
            try {
                while (true) {
                    Runnable call = lane.next(IDLE_NANOS);
                    if (call == null) {
                        if (state.compareAndSet(IDLE, DEAD)) {
                            idle.remove(this);
                            return;
                        }
                        continue; // claimed just now: its call is on the way
                    }
                    if (call == STOP) {
                        state.set(DEAD);
                        return;
                    }
                    call.run();
                    for (Runnable next; (next = waiting.poll()) != null; ) {
                        next.run(); // calls that found every lane busy
                    }
                    state.set(IDLE);
                    idle.offerFirst(this);
                    drainWaiting(); // a call may have queued between the poll above and going idle

                }
            } finally {
                synchronized (lanes) {
                    lanes.remove(this);
                }
                onLaneExit.run();
                // a call that arrived while this lane retired found the pool full and queued: it
                // would wait for unrelated traffic, so a retiring lane hands it on
                Runnable stranded = stopped ? null : waiting.poll();
                if (stranded != null) {
                    execute(stranded);
                }
            }
        }
    }

    /**
     * @param maxLanes   how many lanes may run at once (at least 1)
     * @param onLaneExit runs on a lane's thread as it ends (frees its thread state)
     */
    LanePool(String prefix, int maxLanes, Runnable onLaneExit) {
        if (maxLanes < 1) {
            throw new IllegalArgumentException("maxLanes must be at least 1, was " + maxLanes);
        }
        this.prefix = prefix;
        this.maxLanes = maxLanes;
        this.onLaneExit = onLaneExit;
    }

    void execute(Runnable call) {
        if (stopped) {
            throw new IllegalStateException("the pyhost runtime was stopped");
        }
        for (Lane lane; (lane = idle.pollFirst()) != null; ) {
            if (lane.state.compareAndSet(IDLE, BUSY)) {
                lane.lane.offer(call);
                return;
            }
        }
        synchronized (lanes) {
            if (lanes.size() >= maxLanes) {
                waiting.offer(call);
                drainWaiting(); // a lane may have gone idle since the idle list was looked at
                return;
            }
            Lane lane = new Lane();
            lanes.add(lane);
            lane.lane.offer(call);
            lane.lane.start();
        }
    }

    /** Changes the bound; lanes beyond a lowered bound end when idle. */
    void setMaxLanes(int maxLanes) {
        if (maxLanes < 1) {
            throw new IllegalArgumentException("maxLanes must be at least 1, was " + maxLanes);
        }
        this.maxLanes = maxLanes;
    }

    /**
     * Hands queued calls to idle lanes. Both sides publish first and look second (a caller queues
     * then looks for an idle lane; a lane turns idle then looks at the queue), so no call is left
     * behind while a lane idles.
     */
    private void drainWaiting() {
        for (Lane lane; !waiting.isEmpty() && (lane = idle.pollFirst()) != null; ) {
            if (lane.state.compareAndSet(IDLE, BUSY)) {
                Runnable call = waiting.poll();
                if (call != null) {
                    lane.lane.offer(call);
                } else {
                    lane.state.set(IDLE);
                    idle.offerFirst(lane);
                }
            }
        }
    }

    /** Lanes running now (for tests and monitoring). */
    int size() {
        return lanes.size();
    }

    /** Ends every lane after its current call; waits up to {@code bound} in all (a lane stuck in C is left to end later). */
    void shutdown(java.time.Duration bound) {
        stopped = true;
        RuntimeException gone = new IllegalStateException("the pyhost runtime was stopped");
        for (Runnable call; (call = waiting.poll()) != null; ) {
            if (call instanceof Handoff<?> handoff) {
                handoff.abandon(gone);
            }
        }
        for (Lane lane : lanes) {
            lane.lane.offer(STOP);
        }
        long deadline = System.nanoTime() + bound.toNanos();
        for (Lane lane : Set.copyOf(lanes)) {
            try {
                lane.lane.thread().join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
