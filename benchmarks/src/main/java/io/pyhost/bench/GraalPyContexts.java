package io.pyhost.bench;

import org.graalvm.polyglot.Context;
import org.graalvm.polyglot.Engine;

/** GraalPy contexts for the probes (a class of its own so that pyhost-only JVMs never load GraalPy). */
final class GraalPyContexts {
    private GraalPyContexts() {
    }

    /** Opens contexts on one shared engine, each running {@code preload} (null: none). */
    static MemoryProbe.Opener opener(String preload) {
        Engine engine = Engine.newBuilder("python").build();
        return () -> {
            Context ctx = Context.newBuilder("python").engine(engine).build();
            ctx.eval("python", preload != null ? preload : "None");
            return ctx;
        };
    }

    /** The first result of a fresh JVM: one context, one expression. */
    static Object firstResult(String expression) {
        try (Context ctx = Context.newBuilder("python").build()) {
            return ctx.eval("python", expression).asLong();
        }
    }
}
