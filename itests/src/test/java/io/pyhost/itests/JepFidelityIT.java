package io.pyhost.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.osgi.framework.Bundle;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceReference;

import io.pyhost.api.PyFunction;
import jep.Interpreter;
import jep.JepConfig;
import jep.JepException;
import jep.SharedInterpreter;
import jep.SubInterpreter;
import jep.python.PyBuiltins;
import jep.python.PyCallable;
import jep.python.PyObject;

/**
 * Fidelity to Jep 4.2.2: cases a Jep user (or a test written from Jep's documented behaviour and
 * compiled against Jep's real jar) expects, and the hostile uses pyhost-jep must survive. Compiled
 * against {@code black.ninia:jep:4.2.2}; package {@code jep} is pyhost-jep's in Felix.
 */
@RunWith(PaxExam.class)
public class JepFidelityIT extends PyhostTestSupport {

    @Override
    protected List<String> moreBundles() {
        return List.of("pyhost-jep");
    }

    /** Jep.java: the messages of Jep's own argument and state checks. */
    @Test
    public void argumentAndStateChecksSayWhatJepSays() throws Exception {
        Interpreter interp = new SharedInterpreter();
        assertEquals("Invalid function name.", assertThrows(JepException.class, () -> interp.invoke("")).getMessage());
        assertEquals("Invalid function name.", assertThrows(JepException.class, () -> interp.invoke("  ", Map.of())).getMessage());
        assertEquals("Invalid function name.", assertThrows(JepException.class, () -> interp.invoke(null, new Object[0], null)).getMessage());
        assertEquals("Script filename cannot be null.", assertThrows(JepException.class, () -> interp.runScript(null)).getMessage());
        Path absent = tempDir().resolve("absent.py");
        assertEquals("Invalid file: " + absent.toAbsolutePath(),
                assertThrows(JepException.class, () -> interp.runScript(absent.toString())).getMessage());
        // eval of nothing runs nothing and says so (non-interactive)
        assertFalse(interp.eval(""));
        assertFalse(interp.eval("   "));
        assertFalse(interp.eval(null));
        assertTrue(interp.eval("x = 1\r"));
        PyObject o = interp.getValue("object()", PyObject.class);
        PyCallable f = interp.getValue("len", PyCallable.class);
        o.close();
        assertEquals("PyObject has been closed.", assertThrows(JepException.class, () -> o.getAttr("__doc__")).getMessage());
        interp.close();
        interp.close(); // idempotent
        assertEquals("Jep instance has been closed.", assertThrows(JepException.class, () -> interp.getValue("1")).getMessage());
        assertEquals("Jep instance has been closed.", assertThrows(JepException.class, () -> interp.exec("1")).getMessage());
        assertThrows(JepException.class, () -> f.call("abc"));
    }

    /** convert_p2j: the Java class asked for decides, as in Jep; a mismatch is a TypeError, never a ClassCastException later. */
    @Test
    public void getValueWithClassFollowsJepsConversionTable() {
        try (Interpreter interp = new SharedInterpreter()) {
            // a tuple is a List, never an ArrayList
            JepException tuple = assertThrows(JepException.class, () -> interp.getValue("(1, 2)", ArrayList.class));
            assertEquals("<class 'TypeError'>: Expected java.util.ArrayList but received a tuple.", tuple.getMessage());
            assertEquals(new ArrayList<>(List.of(1L, 2L)), interp.getValue("[1, 2]", ArrayList.class));
            assertEquals(List.of(1L, 2L), interp.getValue("(1, 2)", java.util.Collection.class));
            assertTrue(interp.getValue("{'a': 1}") instanceof HashMap<?, ?>);
            assertEquals(Map.of("a", 1L), interp.getValue("{'a': 1}", HashMap.class));
            // ints are not floats, floats are not ints, and neither is a String
            assertThrows(JepException.class, () -> interp.getValue("1", Double.class));
            assertThrows(JepException.class, () -> interp.getValue("1.5", Integer.class));
            assertThrows(JepException.class, () -> interp.getValue("1", String.class));
            assertThrows(JepException.class, () -> interp.getValue("True", Integer.class));
            assertEquals(Long.valueOf(7), interp.getValue("7", Number.class));
            assertEquals(Long.valueOf(7), interp.getValue("7", Comparable.class));
            // any other object: its str() as Object or String, itself as PyObject
            interp.exec("class Thing:\n    def __str__(self):\n        return 'a thing'\nthing = Thing()");
            assertEquals("a thing", interp.getValue("thing"));
            assertEquals("a thing", interp.getValue("thing", String.class));
            assertEquals("a thing", interp.getValue("thing", PyObject.class).toString());
            // globals are __main__'s, as in Jep
            assertEquals("__main__", interp.getValue("__name__"));
            assertEquals("__main__", interp.getValue("Thing.__module__"));
            // bytes and bytearray: byte[]
            assertArrayEquals(new byte[] {1, 2, (byte) 255}, (byte[]) interp.getValue("b'\\x01\\x02\\xff'"));
            assertArrayEquals(new byte[] {9}, interp.getValue("bytearray(b'\\x09')", byte[].class));
            // nested containers convert all the way down
            assertEquals(List.of(Map.of("k", List.of(1L, 2.5, "s", true))), interp.getValue("[{'k': (1, 2.5, 's', True)}]"));
            assertArrayEquals(new int[] {1, 2, 3}, interp.getValue("[1, 2, 3]", int[].class));
            assertArrayEquals(new String[] {"a", "b"}, interp.getValue("('a', 'b')", String[].class));
            assertThrows(JepException.class, () -> interp.getValue("[1, 'b']", int[].class));
            assertTrue(interp.getValue("lambda: 1") instanceof PyCallable);
            assertTrue(interp.getValue("len") instanceof PyCallable);
        }
    }

    /** jep.python.PyBuiltins (Jep 4.2): Python's builtins through a proxy of the builtins module (TestPyBuiltins). */
    @Test
    public void pyBuiltinsWorkAsInJep() {
        try (Interpreter interp = new SharedInterpreter()) {
            PyBuiltins builtins = PyBuiltins.get(interp);
            PyCallable objectType = interp.getValue("object", PyCallable.class);
            PyObject object = interp.getValue("object()", PyObject.class);
            PyCallable one = interp.getValue("type('subtypeone', (object,), {})", PyCallable.class);
            PyCallable two = interp.getValue("type('subtypetwo', (object,), {})", PyCallable.class);
            PyObject sub = one.callAs(PyObject.class);
            PyObject globals = interp.getValue("{}", PyObject.class);
            PyObject locals = interp.getValue("{}", PyObject.class);

            assertTrue(builtins.callable(objectType));
            assertFalse(builtins.callable(object));
            assertFalse(builtins.callable(7));

            sub.setAttr("name", "value");
            assertTrue(Arrays.asList(builtins.dir(sub)).contains("name"));
            builtins.delattr(sub, "name");
            assertFalse(Arrays.asList(builtins.dir(sub)).contains("name"));
            assertTrue(assertThrows(JepException.class, () -> builtins.delattr(sub, "fake")).getMessage().contains("AttributeError"));

            assertEquals(interp.getValue("{}", PyObject.class), builtins.dict());
            Map<String, Integer> map = new HashMap<>(Map.of("a", 1, "b", 2));
            assertEquals(interp.getValue("{'a': 1, 'b': 2}", PyObject.class), builtins.dict(map));
            assertTrue(Arrays.asList(builtins.dir(object)).contains("__str__"));

            assertEquals(2, ((Number) builtins.eval("1+1", globals)).intValue());
            assertEquals(2, ((Number) builtins.eval("1+1", globals, locals)).intValue());
            assertTrue(assertThrows(JepException.class, () -> builtins.eval("(:", globals, locals)).getMessage().contains("SyntaxError"));
            builtins.exec("result = 1 + 1", globals);
            assertEquals(2, ((Number) builtins.eval("result", globals)).intValue());
            assertTrue(assertThrows(JepException.class, () -> builtins.exec("(:", globals)).getMessage().contains("SyntaxError"));

            String[] array = {"1", "2", "3"};
            assertEquals(interp.getValue("frozenset()", PyObject.class), builtins.frozenset());
            assertEquals(interp.getValue("{'1','2','3'}", PyObject.class), builtins.frozenset(array));
            assertEquals(interp.getValue("{'1','2','3'}", PyObject.class), builtins.frozenset(Arrays.asList(array)));
            assertEquals(interp.getValue("set()", PyObject.class), builtins.set());
            assertEquals(interp.getValue("{'1','2','3'}", PyObject.class), builtins.set(array));
            assertEquals(interp.getValue("[]", PyObject.class), builtins.list());
            assertEquals(interp.getValue("['1','2','3']", PyObject.class), builtins.list(array));
            assertEquals(interp.getValue("['1','2','3']", PyObject.class), builtins.list(Arrays.asList(array)));
            assertEquals(interp.getValue("()", PyObject.class), builtins.tuple());
            assertEquals(interp.getValue("('1','2','3')", PyObject.class), builtins.tuple(array));
            assertEquals(interp.getValue("('1','2','3')", PyObject.class), builtins.tuple(Arrays.asList(array)));

            assertNotNull(builtins.getattr(object, "__str__"));
            assertTrue(assertThrows(JepException.class, () -> builtins.getattr(sub, "fake")).getMessage().contains("AttributeError"));
            assertTrue(builtins.hasattr(object, "__str__"));
            assertFalse(builtins.hasattr(object, "fake"));
            assertEquals(builtins.id(object), builtins.id(object));
            assertNotEquals(builtins.id(object), builtins.id(objectType));
            assertTrue(builtins.isinstance(object, objectType));
            assertFalse(builtins.isinstance(object, one));
            assertTrue(assertThrows(JepException.class, () -> builtins.isinstance(object, object)).getMessage().contains("TypeError"));
            assertTrue(builtins.issubclass(one, objectType));
            assertFalse(builtins.issubclass(one, two));
            assertTrue(builtins.isinstance(builtins.object(), objectType));
            builtins.setattr(sub, "name", "value");
            assertEquals("value", sub.getAttr("name"));
            assertEquals(objectType, builtins.type(object));
        }
    }

    /** TestCloseWithThreads: closing a SubInterpreter while its Python threads run is refused; the interpreter stays usable. */
    @Test
    public void closingASubInterpreterWithLivePythonThreadsIsRefused() throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        Interpreter interp = new SubInterpreter(new JepConfig());
        try {
            interp.set("start", start);
            interp.set("done", done);
            interp.eval("def run(start, done):\n  start.countDown()\n  getattr(done,'await')()");
            interp.eval("import threading");
            interp.eval("t = threading.Thread(target=run, args=(start, done))");
            interp.eval("t.start()");
            assertTrue(start.await(30, TimeUnit.SECONDS));
            JepException refused = assertThrows(JepException.class, interp::close);
            assertEquals("All threads must be stopped before closing Jep.", refused.getMessage());
            done.countDown();
            interp.eval("t.join()");
            assertEquals(2L, interp.getValue("1 + 1"));
        } finally {
            done.countDown();
            interp.close();
        }
        assertThrows(JepException.class, () -> interp.getValue("1"));
    }

    /**
     * Hostile: close() from another thread while a call runs and a Python thread of the
     * SubInterpreter is alive: bounded (the call is interrupted), and pyhost goes on working.
     */
    @Test
    public void closeDuringACallWithPythonThreadsAliveIsBounded() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        Interpreter interp = new SubInterpreter();
        interp.set("started", started);
        interp.exec("import threading, time\nstop = False\ndef spin():\n    while not stop:\n        time.sleep(0.005)\n"
                + "t = threading.Thread(target=spin, daemon=True)\nt.start()");
        java.util.concurrent.ExecutorService other = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            java.util.concurrent.Future<?> looping = other.submit(() -> interp.exec("started.countDown()\nwhile True:\n    pass"));
            assertTrue(started.await(30, TimeUnit.SECONDS));
            long t0 = System.nanoTime();
            interp.close();
            assertTrue("close took " + (System.nanoTime() - t0) / 1_000_000 + " ms", System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(30));
            assertThrows(java.util.concurrent.ExecutionException.class, () -> looping.get(30, TimeUnit.SECONDS));
        } finally {
            other.shutdownNow();
        }
        try (Interpreter next = new SubInterpreter()) {
            assertEquals(2L, next.getValue("1 + 1"));
        }
    }

    /** Hostile: many interpreters opened and closed leave no context and no hidden PyFunction behind. */
    @Test
    public void openingAndClosingManyInterpretersLeaksNothing() throws Exception {
        Bundle jep = FrameworkUtil.getBundle(SharedInterpreter.class);
        int functionsBefore = jepFunctions(jep);
        int contextsBefore = openContexts().size();
        for (int i = 0; i < 40; i++) {
            try (Interpreter interp = new SharedInterpreter()) {
                interp.exec("from java.util import ArrayList\na = ArrayList()\na.add(" + i + ")");
                assertEquals((long) i, interp.getValue("a.get(0)"));
            }
        }
        for (int i = 0; i < 6; i++) {
            Interpreter interp = i % 2 == 0 ? new SubInterpreter() : new SharedInterpreter();
            interp.getValue("object()", PyObject.class); // never closed by the caller: the interpreter's close releases it
            interp.close();
        }
        assertEquals(functionsBefore, jepFunctions(jep));
        assertEquals(contextsBefore, openContexts().size());
    }

    private static int jepFunctions(Bundle jep) {
        ServiceReference<?>[] refs = jep.getRegisteredServices();
        int n = 0;
        if (refs != null) {
            for (ServiceReference<?> r : refs) {
                if (Arrays.asList((String[]) r.getProperty("objectClass")).contains(PyFunction.class.getName())) {
                    n++;
                }
            }
        }
        return n;
    }

    /** Hostile: cyclic, deep and big structures; a clear JepException or the value, never a hang or a crash. */
    @Test
    public void cyclicDeepAndBigValuesEndCleanly() {
        try (Interpreter interp = new SharedInterpreter()) {
            interp.exec("cyc = []\ncyc.append(cyc)\nd = {}\nd['self'] = d");
            JepException cyclic = assertThrows(JepException.class, () -> interp.getValue("cyc"));
            assertTrue(cyclic.getMessage(), cyclic.getMessage().startsWith("<class 'RecursionError'>") || cyclic.getMessage().startsWith("<class 'ValueError'>"));
            assertThrows(JepException.class, () -> interp.getValue("d"));
            interp.exec("deep = []\nfor _ in range(100000):\n    deep = [deep]");
            assertThrows(JepException.class, () -> interp.getValue("deep"));
            assertEquals("[[[]]]", interp.getValue("[[[]]]").toString());
            List<?> big = (List<?>) interp.getValue("list(range(200000))");
            assertEquals(200000, big.size());
            assertEquals(199999L, big.get(199999));
            // the interpreter still works after all that
            assertEquals(3L, interp.getValue("1 + 2"));
        }
    }

    /** Java objects in Python: methods, fields, Python values into Java parameters (test_call.py, test_lists.py). */
    @Test
    public void javaObjectsFromPythonBehaveAsInJep() {
        try (Interpreter interp = new SharedInterpreter()) {
            interp.exec("""
                    from java.util import ArrayList, HashMap, Collections
                    a = ArrayList()
                    a.add(1)
                    a.add('two')
                    a.add(3.0)
                    a.add(None)
                    copy = ArrayList([1, 2, 3])
                    m = HashMap()
                    m.put('k', [1, 2])
                    sz = len(a)
                    it = [x for x in a]
                    """);
            ArrayList<?> a = (ArrayList<?>) interp.getValue("a");
            assertEquals(Arrays.asList(1L, "two", 3.0, null), a);
            assertEquals(List.of(1L, 2L, 3L), interp.getValue("copy"));
            assertEquals(List.of(1L, 2L), ((Map<?, ?>) interp.getValue("m")).get("k"));
            assertEquals(4L, interp.getValue("sz"));
            assertEquals(Arrays.asList(1L, "two", 3.0, null), interp.getValue("it"));
            // a Java list handed to Python and changed there is changed in Java
            List<Object> mine = new ArrayList<>(List.of("x"));
            interp.exec("def grow(l):\n    l.add('y')\n    l[0] = 'z'\n    return len(l)");
            assertEquals(2L, interp.invoke("grow", mine));
            assertEquals(List.of("z", "y"), mine);
            // primitive arrays from Java: indexable, iterable, writable
            int[] ints = {1, 2, 3};
            interp.set("ints", ints);
            assertEquals(6L, interp.getValue("sum(ints)"));
            assertEquals(3L, interp.getValue("ints[-1]"));
            assertSame(ints, interp.getValue("ints"));
            assertSame(ints, interp.getValue("ints", int[].class));
            // jep.jarray with Jep's type ids, type codes and primitive classes (test_array.py)
            interp.exec("""
                    import jep
                    from java.lang import Integer
                    ai = jep.jarray(2, jep.JINT_ID, 7)
                    ad = jep.jarray(1, 'd')
                    at = jep.jarray(1, Integer.TYPE)
                    ao = jep.jarray(3, Integer)
                    ai[1] = 1234
                    try:
                        ao[5]
                    except IndexError:
                        index_error = True
                    """);
            assertArrayEquals(new int[] {7, 1234}, (int[]) interp.getValue("ai"));
            assertArrayEquals(new double[] {0.0}, (double[]) interp.getValue("ad"), 0.0);
            assertArrayEquals(new int[] {0}, (int[]) interp.getValue("at"));
            assertArrayEquals(new Integer[3], (Integer[]) interp.getValue("ao"));
            assertEquals(Boolean.TRUE, interp.getValue("index_error"));
            // a Java object's toString is its str()
            interp.set("sb", new StringBuilder("built"));
            assertEquals("built", interp.getValue("str(sb)"));
            assertEquals(Boolean.TRUE, interp.getValue("sb.toString() == 'built'"));
        }
    }

    /** proxy(): only interfaces, as java.lang.reflect.Proxy allows; PyObject.hashCode is Long.hashCode of Python's hash. */
    @Test
    public void proxyRefusesClassesAndHashCodeIsJeps() {
        try (Interpreter interp = new SharedInterpreter()) {
            PyObject list = interp.getValue("[]", PyObject.class);
            assertThrows(IllegalArgumentException.class, () -> list.proxy(ArrayList.class));
            assertThrows(IllegalArgumentException.class, () -> list.proxy(Runnable.class, String.class));
            PyObject big = interp.getValue("2**40 + 5", PyObject.class);
            assertEquals(Long.valueOf((1L << 40) + 5).hashCode(), big.hashCode());
            assertEquals(Long.valueOf(-2).hashCode(), interp.getValue("-1", PyObject.class).hashCode()); // hash(-1) == -2
        }
    }

    /** TestJepException: Python exception types as str() prints them, SyntaxError included. */
    @Test
    public void exceptionMessagesNameThePythonType() {
        try (Interpreter interp = new SharedInterpreter()) {
            interp.exec("class MyError(Exception):\n    pass");
            assertEquals("<class '__main__.MyError'>: boom", assertThrows(JepException.class, () -> interp.exec("raise MyError('boom')")).getMessage());
            assertTrue(assertThrows(JepException.class, () -> interp.exec("(:")).getMessage().startsWith("<class 'SyntaxError'>"));
            assertEquals("<class 'ZeroDivisionError'>: division by zero", assertThrows(JepException.class, () -> interp.getValue("1/0")).getMessage());
            // Jep words the text as str(args[0]): a KeyError's key unquoted, a SyntaxError's bare message
            assertEquals("<class 'KeyError'>: k", assertThrows(JepException.class, () -> interp.getValue("{}['k']")).getMessage());
            assertEquals("<class 'ValueError'>: a", assertThrows(JepException.class, () -> interp.exec("raise ValueError('a', 'b')")).getMessage());
            assertEquals("<class 'RuntimeError'>: ", assertThrows(JepException.class, () -> interp.exec("raise RuntimeError()")).getMessage());
            assertEquals("<class 'SyntaxError'>: invalid syntax", assertThrows(JepException.class, () -> interp.exec("x = = 1")).getMessage());
            // a Java exception: Python's type as Jep maps it, then the Java message; the Java exception is the cause
            interp.exec("from java.lang import Integer, String, System");
            JepException nfe = assertThrows(JepException.class, () -> interp.exec("Integer.parseInt('asdf')"));
            assertEquals("<class 'ValueError'>: For input string: \"asdf\"", nfe.getMessage());
            assertTrue(nfe.getCause() instanceof NumberFormatException);
            // an unmapped Java exception is a RuntimeError in Python (test_exceptions.py: str() names the Java class)
            interp.exec("""
                    try:
                        System.getenv(None)
                    except RuntimeError as e:
                        caught = str(e)
                    """);
            assertTrue(String.valueOf(interp.getValue("caught")), ((String) interp.getValue("caught")).contains("java.lang.NullPointerException"));
            JepException npe = assertThrows(JepException.class, () -> interp.exec("System.getenv(None)"));
            assertTrue(npe.getMessage(), npe.getMessage().startsWith("<class 'RuntimeError'>: "));
            assertTrue(npe.getCause() instanceof NullPointerException);
        }
    }

    /** runScript: the file runs in the interpreter's globals, its functions usable afterwards. */
    @Test
    public void runScriptDefinesInTheGlobals() throws Exception {
        Path script = tempDir().resolve("defs.py");
        Files.writeString(script, "def twice(x):\n    return 2 * x\nloaded = __name__\n");
        try (Interpreter interp = new SubInterpreter()) {
            interp.runScript(script.toString());
            assertEquals(84L, interp.invoke("twice", 42));
            assertEquals("__main__", interp.getValue("loaded"));
        }
    }

    /** SharedInterpreters share sys (and so sys.path and every module) but never globals. */
    @Test
    public void sharedInterpretersShareSys() {
        try (Interpreter one = new SharedInterpreter(); Interpreter two = new SharedInterpreter()) {
            one.exec("import sys\nsys.jep_fidelity_marker = 5");
            assertEquals(5L, two.getValue("__import__('sys').jep_fidelity_marker"));
            one.exec("import sys\ndel sys.jep_fidelity_marker");
            assertNull(two.getValue("getattr(__import__('sys'), 'jep_fidelity_marker', None)"));
        }
    }

    /**
     * The main interpreter outlives core: what pyhost-jep left in it under an earlier core (its jep
     * module, its finder on sys.meta_path) does not disturb imports after core is refreshed (a new
     * class loader), and a new interpreter replaces it; an interpreter open across the refresh says
     * it is closed.
     */
    @Test
    public void whatAnEarlierCoreLeftInTheMainInterpreterStaysInertAfterARefresh() throws Exception {
        Interpreter left = new SharedInterpreter(); // open across the refresh: core closes its context
        left.exec("from java.util import ArrayList");
        Bundle core = java.util.stream.Stream.of(bundleContext.getBundles()).filter(b -> "io.pyhost.core".equals(b.getSymbolicName()))
                .findFirst().orElseThrow();
        var wiring = bundleContext.getBundle(0).adapt(org.osgi.framework.wiring.FrameworkWiring.class);
        java.util.concurrent.CompletableFuture<org.osgi.framework.FrameworkEvent> refreshed = new java.util.concurrent.CompletableFuture<>();
        wiring.refreshBundles(List.of(core), refreshed::complete);
        assertEquals(org.osgi.framework.FrameworkEvent.PACKAGES_REFRESHED, refreshed.get(60, TimeUnit.SECONDS).getType());
        factory = service(io.pyhost.api.ContextFactory.class);
        awaitCondition(() -> "the refreshed core to bind worker; modes: " + factory.modes(),
                () -> factory.modes().contains(io.pyhost.api.ContextFactory.WORKER));
        try (io.pyhost.api.PyContext worker = create(io.pyhost.api.ContextFactory.WORKER)) {
            io.pyhost.api.PyException missing = assertThrows(io.pyhost.api.PyException.class, () -> worker.exec("import no_such_module_jep_it"));
            assertEquals("ModuleNotFoundError", missing.pythonType());
        }
        try (Interpreter after = new SharedInterpreter()) {
            after.exec("from java.util import ArrayList\nitems = ArrayList()\nitems.add('x')");
            assertEquals(1L, after.getValue("items.size()"));
        }
        JepException closed = assertThrows(JepException.class, () -> left.exec("1"));
        assertTrue(closed.getMessage(), closed.getMessage().contains("closed"));
        left.close();
    }

    /**
     * Hostile: Python makes its own interpreter close (a Java object's method it calls runs
     * {@code close()} inside the interpreter's running call). Bounded, the call ends normally,
     * the interpreter is closed once it returns, and its context goes.
     */
    @Test
    public void closeFromInsideItsOwnCallClosesWhenTheCallReturns() throws Exception {
        int contextsBefore = openContexts().size();
        for (boolean sub : new boolean[] {false, true}) {
            Interpreter interp = sub ? new SubInterpreter() : new SharedInterpreter();
            interp.set("me", interp);
            long t0 = System.nanoTime();
            interp.exec("me.close()\nafter = 1");
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue((sub ? "SubInterpreter" : "SharedInterpreter") + ": close from inside took " + ms + " ms", ms < 2000);
            assertEquals("Jep instance has been closed.", assertThrows(JepException.class, () -> interp.getValue("1")).getMessage());
            interp.close(); // idempotent
        }
        try (Interpreter next = new SubInterpreter()) {
            assertEquals(2L, next.getValue("1 + 1"));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (openContexts().size() > contextsBefore && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(contextsBefore, openContexts().size());
    }

    /**
     * Hostile: many Java threads on one interpreter at once. Each gets its own results: callables
     * (taken from Python in a second step), values and Jep's exception text (worded in a second step).
     */
    @Test
    public void manyThreadsOnOneInterpreterEachGetTheirOwnResults() throws Exception {
        for (boolean sub : new boolean[] {false, true}) {
            try (Interpreter interp = sub ? new SubInterpreter() : new SharedInterpreter()) {
                interp.exec("def boom(k):\n    raise KeyError(k)\ndef make(k):\n    return lambda: k");
                java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(6);
                try {
                    List<java.util.concurrent.Future<?>> work = new ArrayList<>();
                    for (int t = 0; t < 6; t++) {
                        int id = t;
                        work.add(pool.submit(() -> {
                            for (int i = 0; i < 120; i++) {
                                String k = "k" + id + "_" + i;
                                Object f = interp.invoke("make", k);
                                assertTrue(String.valueOf(f), f instanceof PyCallable);
                                assertEquals(k, ((PyCallable) f).call());
                                assertEquals(k, ((PyCallable) interp.getValue("lambda: '" + k + "'")).call());
                                JepException e = assertThrows(JepException.class, () -> interp.invoke("boom", k));
                                assertEquals("<class 'KeyError'>: " + k, e.getMessage());
                            }
                            return null;
                        }));
                    }
                    for (java.util.concurrent.Future<?> f : work) {
                        f.get(120, TimeUnit.SECONDS);
                    }
                } finally {
                    pool.shutdownNow();
                }
            }
        }
    }

    /** Python -> Java -> the same interpreter, on one thread (Jep allows it): runs inline. */
    @Test
    public void javaCalledFromPythonMayUseTheSameInterpreter() {
        for (boolean sub : new boolean[] {false, true}) {
            try (Interpreter interp = sub ? new SubInterpreter() : new SharedInterpreter()) {
                interp.set("me", interp);
                interp.exec("x = 20");
                assertEquals(42L, interp.getValue("me.getValue('x + 1') * 2"));
                String m = assertThrows(JepException.class, () -> interp.exec("me.exec('1/0')")).getMessage();
                assertTrue(m, m.contains("ZeroDivisionError") || m.contains("division by zero"));
            }
        }
    }

    /**
     * Hostile: a Jep interpreter's Java import hook sits on the main interpreter's sys.meta_path,
     * which plain pyhost worker contexts share. Their imports must stay Python's: no Java packages
     * through the one open interpreter's class space, and a ClassEnquirer that throws never turns
     * their ImportError into something else. The interpreter itself gets a clear error.
     */
    @Test
    public void javaImportHookNeverReachesOtherContextsAndAThrowingEnquirerIsAnError() throws Exception {
        jep.ClassEnquirer throwing = new jep.ClassEnquirer() {
            @Override
            public boolean isJavaPackage(String name) {
                if (name.startsWith("java")) {
                    return true;
                }
                throw new IllegalStateException("enquirer broke on " + name);
            }

            @Override
            public String[] getClassNames(String pkgName) {
                return new String[0];
            }

            @Override
            public String[] getSubPackages(String pkgName) {
                return new String[0];
            }
        };
        try (Interpreter interp = new SubInterpreter(new JepConfig().setClassEnquirer(throwing));
                Interpreter shared = new SharedInterpreter();
                io.pyhost.api.PyContext plain = factory.create(io.pyhost.api.ContextFactory.WORKER)) {
            assertEquals(3L, interp.getValue("__import__('java.util').util.ArrayList.__call__().size() + 3"));
            JepException broke = assertThrows(JepException.class, () -> interp.exec("import no_such_module_qq"));
            assertTrue(broke.getMessage(), broke.getMessage().contains("enquirer broke on no_such_module_qq"));
            assertEquals(0L, shared.getValue("__import__('java.util').util.ArrayList().size()"));
            // a plain worker context, beside an open SharedInterpreter: never its Java classes, its enquirer unasked
            plain.exec("""
                    import sys
                    try:
                        import java.util  # sys.modules is shared in worker mode: the package module may be there
                        java.util.ArrayList
                        got = 'reached ArrayList'
                    except (ImportError, RuntimeError, AttributeError) as e:
                        got = 'refused'
                    try:
                        import java.util.zip
                        got2 = 'imported java.util.zip'
                    except ImportError:
                        got2 = 'ImportError'
                    try:
                        import no_such_module_qq
                    except ImportError:
                        got3 = 'ImportError'
                    """);
            assertEquals("refused", plain.eval("got"));
            assertEquals("ImportError", plain.eval("got2"));
            assertEquals("ImportError", plain.eval("got3"));
            // a module's function (no Jep frame) called through a PyCallable, two SharedInterpreters open: its own
            try (Interpreter second = new SharedInterpreter()) {
                shared.exec("import sys, types\nm = types.ModuleType('jadv_mod')\n"
                        + "exec('def f():\\n    from java.util import ArrayList\\n    return ArrayList().size() + 5', m.__dict__)\n"
                        + "sys.modules['jadv_mod'] = m");
                assertEquals(5L, shared.getValue("sys.modules['jadv_mod'].f", PyCallable.class).call());
                assertEquals(5L, second.getValue("__import__('jadv_mod').f", PyCallable.class).call());
            }
        }
    }

}
