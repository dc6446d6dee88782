package io.pyhost.core;

import static org.junit.Assert.*;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.After;
import org.junit.Test;

import io.pyhost.api.PyContext;
import io.pyhost.api.PyException;
import io.pyhost.api.PyFunction;
import io.pyhost.core.interop.FunctionRegistry;
import io.pyhost.fixtures.Account;

/** Java objects the value table does not convert reach Python as pyhost.JavaObject (issue 12, item 4), in every mode. */
public class JavaObjectTest extends EngineTest {



    @Test
    public void javaObjectsAreCalledByNameAndComeBackAsTheSameObject() {
        Account account = new Account();
        register("jo.account", (args, kwargs) -> account);
        register("jo.same", (args, kwargs) -> args.get(0) == account);
        for (String mode : EmbeddedPython.MODES) {
            try (PyContext context = EmbeddedPython.create(engine, mode)) {
                context.exec("import pyhost\na = pyhost.call('jo.account')");
                assertEquals(mode, true, context.eval("isinstance(a, pyhost.JavaObject)"));
                assertTrue(mode, ((String) context.eval("repr(a)")).contains(Account.class.getName()));
                long before = account.balance();
                assertEquals(mode, true, context.eval("a.deposit(5) is not None"));
                context.exec("a.deposit(2.5)");
                assertEquals(mode, before + 7, context.eval("a.balance()"));
                assertEquals(List.of("int 5", "double 2.5"), account.log.subList(account.log.size() - 2, account.log.size()));
                assertEquals(mode, "string x", context.eval("a.describe('x')"));
                assertEquals(mode, "object [1]", context.eval("a.describe([1])"));
                assertEquals(mode, 6L, context.eval("a.total([1, 2, 3])"));
                assertEquals(mode, true, context.eval("pyhost.call('jo.same', a)"));
                assertSame(account, context.eval("a"));                                  // back to Java: the same object
                assertSame(account, context.call(null, "pyhost.call", List.of("jo.account"), null));
                assertEquals(mode, true, context.eval("'deposit' in dir(a) and 'getClass' not in dir(a)"));
            }
        }
    }

    @Test
    public void badCallsOnJavaObjectsAreClearPythonErrors() {
        Account account = new Account();
        register("jo.account", (args, kwargs) -> account);
        for (String mode : EmbeddedPython.MODES) {
            try (PyContext context = EmbeddedPython.create(engine, mode)) {
                context.exec("import pyhost\na = pyhost.call('jo.account')");
                assertPy(context, "AttributeError", "no public method 'nope'", "a.nope()");
                assertPy(context, "AttributeError", "getClass", "a.getClass()");
                assertPy(context, "TypeError", "takes no arguments (str)", "a.deposit('x')");
                assertPy(context, "TypeError", "no narrowing", "a.total([2**40])");
                assertPy(context, "TypeError", "ambiguous", "a.pick(1, 2)");
                assertPy(context, "TypeError", "positional arguments only", "a.deposit(amount=1)");
                assertPy(context, "TypeError", "only Java makes these", "pyhost.JavaObject()");
                PyException io = assertThrows(PyException.class, () -> context.eval("a.refuse()"));
                assertEquals("JavaError", io.pythonType());
                assertTrue(io.getCause() instanceof java.io.IOException);
                assertPy(context, "TypeError", "java.lang.Class", "a.leak()");
                assertEquals(mode, 2L, context.eval("1 + 1"));
            }
        }
    }

    @Test
    public void javaPassesObjectsItCannotConvertAsJavaObjects() {
        Account account = new Account();
        for (String mode : EmbeddedPython.MODES) {
            try (PyContext context = EmbeddedPython.create(engine, mode)) {
                context.exec("def balance_of(acc):\n    return acc.deposit(3).balance()");
                assertEquals(mode, account.balance() + 3, context.call(null, "balance_of", List.of(account), null));
                assertEquals(mode, true, context.eval("type(acc).__name__ == 'JavaObject'", Map.of("acc", account)));
                IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                        () -> context.eval("x", Map.of("x", String.class)));
                assertTrue(refused.getMessage(), refused.getMessage().contains("java.lang.Class"));
            }
        }
    }

    @Test
    public void droppedJavaObjectsAreForgottenAndTheTableDoesNotGrow() {
        register("jo.fresh", (args, kwargs) -> new Account());
        for (String mode : EmbeddedPython.MODES) {
            try (PyContext context = EmbeddedPython.create(engine, mode)) {
                context.exec("import pyhost\nfor _ in range(5000):\n    pyhost.call('jo.fresh').balance()", Duration.ofSeconds(60));
                context.exec("import gc\ngc.collect()");
                context.eval("1"); // the next call forgets what Python dropped
                int lent = ((PythonContext) context).lentObjects();
                assertTrue(mode + ": " + lent + " objects still lent after 5000 were dropped", lent < 10);
            }
        }
    }

    private static void assertPy(PyContext context, String type, String text, String expression) {
        PyException e = assertThrows(PyException.class, () -> context.eval(expression));
        assertEquals(e.toString(), type, e.pythonType());
        assertTrue(e.toString(), e.getMessage().contains(text));
    }
}
