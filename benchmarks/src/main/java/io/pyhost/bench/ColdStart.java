package io.pyhost.bench;

import io.pyhost.api.PyContext;
import io.pyhost.core.ContextEngine;

/**
 * The first result in a fresh JVM: {@code 1 + 1} from a new context, printed as soon as it is
 * there. The runner times the whole process from its start to that line.
 *
 * <pre>java FLAGS -cp pyhost-benchmarks.jar io.pyhost.bench.ColdStart pyhost|graalpy</pre>
 */
public final class ColdStart {
    private ColdStart() {
    }

    public static void main(String[] args) {
        Object result;
        if (args[0].equals("graalpy")) {
            result = GraalPyContexts.firstResult("1 + 1");
        } else {
            ContextEngine engine = Pyhost.engine(null);
            try (PyContext ctx = Pyhost.create(engine, "worker")) {
                result = ctx.eval("1 + 1");
            }
        }
        System.out.println("result " + result);
        System.out.flush();
        Runtime.getRuntime().halt(0); // the time to the answer is measured, not the JVM's shutdown
    }
}
