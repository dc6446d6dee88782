package io.pyhost.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;

import io.pyhost.api.PyContext;
import io.pyhost.api.PyException;
import io.pyhost.api.PyFunction;

/**
 * Java functions for Python through the OSGi whiteboard (issue 12, first part): a {@link PyFunction}
 * service with {@code pyhost.function=<name>} is callable from every mode as {@code pyhost.call};
 * the best-ranked service of a name wins; one that leaves is {@code pyhost.ServiceUnavailable} at
 * the next call; a Java exception arrives as {@code pyhost.JavaError} and as the cause in Java.
 */
@RunWith(PaxExam.class)
public class PyFunctionWhiteboardIT extends PyhostTestSupport {

    private ServiceRegistration<PyFunction> register(String name, int ranking, PyFunction function) {
        Dictionary<String, Object> properties = new Hashtable<>();
        properties.put(PyFunction.NAME, name);
        properties.put(Constants.SERVICE_RANKING, ranking);
        return bundleContext.registerService(PyFunction.class, function, properties);
    }

    @Test
    public void aPyFunctionServiceIsCallableFromEveryModeUntilItLeaves() {
        ServiceRegistration<PyFunction> low = register("it.greet", 0, (args, kwargs) -> "low " + args.get(0));
        ServiceRegistration<PyFunction> high = register("it.greet", 10, (args, kwargs) -> "high " + args.get(0));
        try {
            forEachMode(mode -> {
                try (PyContext ctx = create(mode)) {
                    ctx.exec("import pyhost\ngreet = pyhost.function('it.greet')");
                    assertEquals(mode, "high world", ctx.eval("greet('world')"));
                    assertTrue(mode, ((List<?>) ctx.eval("pyhost.functions()")).contains("it.greet"));
                }
            });
            high.unregister();
            high = null;
            forEachMode(mode -> {
                try (PyContext ctx = create(mode)) {
                    assertEquals(mode, "low x", ctx.eval("__import__('pyhost').call('it.greet', 'x')"));
                }
            });
            low.unregister();
            low = null;
            forEachMode(mode -> {
                try (PyContext ctx = create(mode)) {
                    PyException gone = assertThrows(PyException.class, () -> ctx.eval("__import__('pyhost').call('it.greet', 'x')"));
                    assertEquals(mode, "ServiceUnavailable", gone.pythonType());
                }
            });
        } finally {
            if (high != null) {
                high.unregister();
            }
            if (low != null) {
                low.unregister();
            }
        }
    }

    @Test
    public void aFunctionWhoseNameStartsWithAnUnderscoreIsCallableButNeverListed() {
        ServiceRegistration<PyFunction> secret = register("_it.secret", 0, (args, kwargs) -> "only " + args.get(0));
        try {
            forEachMode(mode -> {
                try (PyContext ctx = create(mode)) {
                    assertEquals(mode, "only me", ctx.eval("__import__('pyhost').call('_it.secret', 'me')"));
                    assertTrue(mode, ((List<?>) ctx.eval("__import__('pyhost').functions()")).stream()
                            .noneMatch(name -> name.toString().startsWith("_")));
                }
            });
        } finally {
            secret.unregister();
        }
    }

    @Test
    public void aJavaExceptionReachesTheJavaCallerAsTheCause() {
        ServiceRegistration<PyFunction> failing = register("it.fail", 0, (args, kwargs) -> {
            throw new UnsupportedOperationException("not today");
        });
        try {
            forEachMode(mode -> {
                try (PyContext ctx = create(mode)) {
                    PyException e = assertThrows(PyException.class, () -> ctx.exec("import pyhost\npyhost.call('it.fail')"));
                    assertEquals(mode, "JavaError", e.pythonType());
                    assertTrue(mode + ": " + e.getCause(), e.getCause() instanceof UnsupportedOperationException);
                    ctx.exec("try:\n    pyhost.call('it.fail')\nexcept pyhost.JavaError as caught:\n    seen = [caught.java_type, caught.java_message]");
                    assertEquals(mode, List.of("java.lang.UnsupportedOperationException", "not today"), ctx.eval("seen"));
                }
            });
        } finally {
            failing.unregister();
        }
    }
}
