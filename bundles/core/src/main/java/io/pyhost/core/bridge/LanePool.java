package io.pyhost.core.bridge;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An elastic set of {@link CallLane}s for the main interpreter's handed-off calls (virtual
 * callers, calls with a timeout). A call goes to the most recently idle lane, which is likely
 * still spinning; a new lane starts when all are busy (a call blocked in {@code time.sleep}
 * must not hold up the others); a lane idle for 30 s ends. Each lane keeps its Python thread
 * state while it lives and frees it when it ends.
 */
final class LanePool {
    private static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(30);
    private static final Runnable STOP = () -> { };

    private final String prefix;
    private final Runnable onLaneExit;
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
                    state.set(IDLE);
                    idle.offerFirst(this);
                }
            } finally {
                lanes.remove(this);
                onLaneExit.run();
            }
        }
    }

    /** @param onLaneExit runs on a lane's thread as it ends (frees its thread state) */
    LanePool(String prefix, Runnable onLaneExit) {
        this.prefix = prefix;
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
        Lane lane = new Lane();
        lanes.add(lane);
        lane.lane.offer(call);
        lane.lane.start();
    }

    /** Ends every lane after its current call; waits up to 10 s in all. */
    void shutdown() {
        stopped = true;
        for (Lane lane : lanes) {
            lane.lane.offer(STOP);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
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
