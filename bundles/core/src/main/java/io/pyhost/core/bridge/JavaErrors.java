package io.pyhost.core.bridge;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Java exceptions raised into Python as {@code pyhost.JavaError}, kept by token so that one that
 * reaches the Java caller uncaught becomes the {@code PyException}'s cause. The newest
 * {@value #KEPT} are kept: a JavaError Python catches and drops is forgotten in time.
 */
public final class JavaErrors {
    static final int KEPT = 1024;
    private static final java.security.SecureRandom TOKENS = new java.security.SecureRandom();

    private record Kept(long interpreter, Throwable error) {
    }

    private static final Map<Long, Kept> BY_TOKEN = new LinkedHashMap<>(64, 0.75f, false) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Kept> eldest) {
            return size() > KEPT;
        }
    };

    private JavaErrors() {
    }

    /**
     * Keeps {@code error}, raised into the interpreter whose state is at {@code interpreter};
     * returns its token: random (not guessable from another context's) and never 0.
     */
    static long keep(long interpreter, Throwable error) {
        long token;
        synchronized (BY_TOKEN) {
            do {
                token = TOKENS.nextLong() & Long.MAX_VALUE;
            } while (token == 0 || BY_TOKEN.containsKey(token));
            BY_TOKEN.put(token, new Kept(interpreter, error));
        }
        return token;
    }

    /** Keeps {@code error}, raised into the interpreter whose GIL the current thread holds; returns its token. */
    public static long keep(Throwable error) {
        return keep(CApi.PyInterpreterState_Get().address(), error);
    }

    /**
     * The exception kept under {@code token} for the interpreter at {@code interpreter}, removed;
     * null if unknown, forgotten, or kept for another interpreter (where it stays).
     */
    static Throwable take(long interpreter, long token) {
        synchronized (BY_TOKEN) {
            Kept kept = BY_TOKEN.get(token);
            if (kept == null || kept.interpreter() != interpreter) {
                return null;
            }
            BY_TOKEN.remove(token);
            return kept.error();
        }
    }
}
