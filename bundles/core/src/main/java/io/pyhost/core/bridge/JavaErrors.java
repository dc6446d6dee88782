package io.pyhost.core.bridge;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Java exceptions raised into Python as {@code pyhost.JavaError}, kept by token so that one that
 * reaches the Java caller uncaught becomes the {@code PyException}'s cause. The newest
 * {@value #KEPT} are kept: a JavaError Python catches and drops is forgotten in time.
 */
public final class JavaErrors {
    static final int KEPT = 1024;
    private static final AtomicLong TOKENS = new AtomicLong();
    private static final Map<Long, Throwable> BY_TOKEN = new LinkedHashMap<>(64, 0.75f, false) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Throwable> eldest) {
            return size() > KEPT;
        }
    };

    private JavaErrors() {
    }

    /** Keeps {@code error}; returns its token (never 0). */
    public static long keep(Throwable error) {
        long token = TOKENS.incrementAndGet();
        synchronized (BY_TOKEN) {
            BY_TOKEN.put(token, error);
        }
        return token;
    }

    /** The exception kept under {@code token}, removed; null if unknown or forgotten. */
    static Throwable take(long token) {
        synchronized (BY_TOKEN) {
            return BY_TOKEN.remove(token);
        }
    }
}
