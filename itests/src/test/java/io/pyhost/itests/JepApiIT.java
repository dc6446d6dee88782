package io.pyhost.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.lang.reflect.UndeclaredThrowableException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.osgi.framework.Bundle;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.wiring.BundleWiring;

import io.pyhost.api.ContextFactory;
import io.pyhost.spi.PythonPackage;
import jep.DirectNDArray;
import jep.Interpreter;
import jep.JepConfig;
import jep.JepException;
import jep.MainInterpreter;
import jep.NDArray;
import jep.NamingConventionClassEnquirer;
import jep.SharedInterpreter;
import jep.SubInterpreter;
import jep.SubInterpreterOptions;
import jep.python.PyCallable;
import jep.python.PyObject;

/**
 * Issue 16: Jep's Java API on pyhost. This class is compiled against Jep's own jar
 * ({@code black.ninia:jep:4.2.2} from Maven Central, a provided dependency) and runs unchanged in
 * Felix, where package {@code jep} comes from pyhost-jep. The behaviour checked is drawn from
 * Jep's test suite (docs/jep-behaviour.md lists each case with Jep's and pyhost-jep's answer).
 */
@RunWith(PaxExam.class)
public class JepApiIT extends PyhostTestSupport {

    @Override
    protected List<String> moreBundles() {
        return List.of("pyhost-package-numpy", "pyhost-jep");
    }

    /** Package jep is pyhost-jep's, not the jar the test was compiled against. */
    @Test
    public void packageJepIsWiredToPyhostJep() {
        Bundle provider = FrameworkUtil.getBundle(SharedInterpreter.class);
        assertEquals("io.pyhost.jep", provider.getSymbolicName());
        assertEquals("4.2.2", provider.adapt(BundleWiring.class).getCapabilities("osgi.wiring.package").stream()
                .filter(c -> "jep".equals(c.getAttributes().get("osgi.wiring.package")))
                .findFirst().orElseThrow().getAttributes().get("version").toString());
    }

    /** TestGetWithClass, TestGetCollectionBoxing, TestInvoke: exec/eval/getValue/set/invoke with Jep's conversions. */
    @Test
    public void execEvalGetValueSetAndInvokeConvertAsJepDoes() throws Exception {
        try (Interpreter interp = new SharedInterpreter()) {
            assertEquals(1L, interp.getValue("1"));
            assertEquals(1.5, interp.getValue("1.5"));
            assertEquals("abc", interp.getValue("'abc'"));
            assertEquals(Boolean.TRUE, interp.getValue("True"));
            assertNull(interp.getValue("None"));
            assertTrue(interp.eval("x = [0, 1, 'three', 5.0]"));
            assertEquals(List.of(0L, 1L, "three", 5.0), interp.getValue("x"));
            List<?> tuple = (List<?>) interp.getValue("('abc', 'def')");
            assertEquals(List.of("abc", "def"), tuple);
            assertThrows(UnsupportedOperationException.class, () -> ((List<Object>) tuple).add("no"));
            Map<?, ?> dict = (Map<?, ?>) interp.getValue("{'a': '123', 'd': None, None: 'e'}");
            assertEquals("123", dict.get("a"));
            assertNull(dict.get("d"));
            assertEquals("e", dict.get(null));

            assertEquals(Integer.valueOf(2), interp.getValue("2", Integer.class));
            assertEquals(Short.valueOf((short) 2), interp.getValue("2", Short.class));
            assertEquals(Byte.valueOf((byte) 2), interp.getValue("2", Byte.class));
            assertEquals(Float.valueOf(1.5f), interp.getValue("1.5", Float.class));
            assertEquals(Character.valueOf('a'), interp.getValue("'a'", Character.class));
            assertNull(interp.getValue("None", Double.class));
            JepException overflow = assertThrows(JepException.class, () -> interp.getValue("1000", Byte.class));
            assertTrue(overflow.getMessage(), overflow.getMessage().startsWith("<class 'OverflowError'>: 1000 is outside"));
            assertThrows(JepException.class, () -> interp.getValue("'abc'", Character.class));
            JepException incompatible = assertThrows(JepException.class, () -> interp.getValue("object()", Integer.class));
            assertEquals("<class 'TypeError'>: Expected java.lang.Integer but received a object.", incompatible.getMessage());
            assertArrayEquals(new boolean[] {true}, interp.getValue("[True]", boolean[].class));
            assertArrayEquals(new Boolean[] {true}, interp.getValue("(True,)", Boolean[].class));
            assertEquals(Map.of("abc", "def"), interp.getValue("{'abc': 'def'}", Map.class));

            // set: Jep's Java-to-Python table; a Java list stays a Java object in Python
            interp.set("n", 41);
            interp.set("c", 'z');
            interp.set("javaList", new ArrayList<>(List.of("a", "b")));
            assertEquals(42L, interp.getValue("n + 1"));
            assertEquals("z", interp.getValue("c"));
            assertEquals(2L, interp.getValue("javaList.size()"));
            assertEquals(2L, interp.getValue("len(javaList)"));
            assertEquals("b", interp.getValue("javaList[-1]"));
            interp.exec("javaList.add('c')");
            assertEquals(3L, interp.getValue("len(javaList)"));

            // invoke: positional, keyword, both; a dotted name; Java objects come back as themselves
            interp.exec("""
                    def args_and_kwargs(*args, **kwargs):
                        return [list(args), kwargs]
                    class Holder:
                        def method(self, x):
                            return x * 2
                    holder = Holder()
                    def same(x):
                        return x
                    """);
            assertEquals(List.of(List.of(1L, "two"), Map.of()), interp.invoke("args_and_kwargs", 1, "two"));
            assertEquals(List.of(List.of(), Map.of("k", true)), interp.invoke("args_and_kwargs", Map.of("k", true)));
            assertEquals(List.of(List.of(3.5), Map.of("k", "v")), interp.invoke("args_and_kwargs", new Object[] {3.5}, Map.of("k", "v")));
            assertEquals(14L, interp.invoke("holder.method", 7));
            ArrayList<String> mine = new ArrayList<>();
            assertSame(mine, interp.invoke("same", mine));
            JepException missing = assertThrows(JepException.class, () -> interp.invoke("anything"));
            assertTrue(missing.getMessage(), missing.getMessage().startsWith("<class 'NameError'>") && missing.getMessage().contains("anything"));
            Map<String, Object> nullKey = new HashMap<>();
            nullKey.put(null, "x");
            JepException badKey = assertThrows(JepException.class, () -> interp.invoke("args_and_kwargs", new Object[0], nullKey));
            assertTrue(badKey.getMessage(), badKey.getMessage().contains("TypeError"));

            // eval of a compound statement; runScript
            assertTrue(interp.eval("class Point:\n    def __init__(self, x):\n        self.x = x\n"));
            assertEquals(3L, interp.getValue("Point(3).x"));
            Path script = tempDir().resolve("script.py");
            Files.writeString(script, "from_script = 6 * 7\n");
            interp.runScript(script.toString());
            assertEquals(42L, interp.getValue("from_script"));
            JepException noFile = assertThrows(JepException.class, () -> interp.runScript(script.resolveSibling("absent.py").toString()));
            assertTrue(noFile.getMessage(), noFile.getMessage().startsWith("Invalid file: "));
            assertEquals("4.2.2", interp.getValue("__import__('jep').__version__"));
        }
    }

    /** TestJepException, test_exceptions.py: Jep's message, Python frames, Java causes, Java exceptions mapped to Python types. */
    @Test
    public void exceptionsCarryThePythonTypeAsJepDoes() {
        try (Interpreter interp = new SubInterpreter()) {
            interp.exec("def fail(text):\n    raise ValueError(text)\n");
            JepException e = assertThrows(JepException.class, () -> interp.exec("fail('test traceback')"));
            assertEquals("<class 'ValueError'>: test traceback", e.getMessage());
            assertEquals("fail", e.getStackTrace()[0].getMethodName());

            interp.exec("from java.util import ArrayList\nfrom java.lang import Integer");
            JepException java = assertThrows(JepException.class, () -> interp.getValue("ArrayList().get(0)"));
            assertEquals("<class 'IndexError'>: Index 0 out of bounds for length 0", java.getMessage()); // Jep: the Java message
            assertTrue(String.valueOf(java.getCause()), java.getCause() instanceof IndexOutOfBoundsException);
            interp.exec("""
                    try:
                        Integer.parseInt('asdf')
                    except ValueError as caught:
                        text = str(caught)
                    """);
            assertTrue(String.valueOf(interp.getValue("text")), ((String) interp.getValue("text")).contains("java.lang.NumberFormatException"));
            JepException importError = assertThrows(JepException.class, () -> interp.exec("from java.lang import ArrayList"));
            assertTrue(importError.getMessage(), importError.getMessage().startsWith("<class 'ImportError'>"));
        }
    }

    /** TestGetJPyObject: PyObject and PyCallable on pyhost handles. */
    @Test
    public void pyObjectAndPyCallableWorkAsInJep() {
        try (Interpreter interp = new SubInterpreter()) {
            interp.exec("""
                    class testclass(object):
                        def __init__(self, attr1, attr2, attr3):
                            self.attr1 = attr1
                            self.attr2 = attr2
                            self.attr3 = attr3
                            self.selfattr = self
                    t = testclass(1, 'A String', None)
                    """);
            PyObject t = interp.getValue("t", PyObject.class);
            assertEquals(1, t.getAttr("attr1", Number.class).intValue());
            assertEquals("A String", t.getAttr("attr2"));
            assertNull(t.getAttr("attr3"));
            interp.set("t2", t.getAttr("selfattr", PyObject.class));
            assertEquals(Boolean.TRUE, interp.getValue("t is t2", Boolean.class));
            assertThrows(JepException.class, () -> t.getAttr(null, PyObject.class));
            t.setAttr("attr1", 5.5);
            assertEquals(Double.valueOf(5.5), interp.getValue("t.attr1", Double.class));
            t.setAttr("attr3", null);
            assertEquals(Boolean.TRUE, interp.getValue("t.attr3 is None", Boolean.class));
            t.delAttr("attr1");
            assertEquals(Boolean.FALSE, interp.getValue("'attr1' in t.__dict__", Boolean.class));

            PyCallable chr = interp.getValue("chr", PyCallable.class);
            assertEquals(" ", chr.call(32));
            assertEquals(" ", chr.callAs(String.class, 32));
            PyCallable count = interp.getValue("[1,2,1,4,1,4].count", PyCallable.class);
            assertEquals(3, ((Number) count.call(1)).intValue());
            assertEquals(Long.valueOf(2), count.callAs(Long.class, 4));
            PyObject str = interp.getValue("str", PyCallable.class).callAs(PyObject.class, 12342);
            assertEquals(Long.valueOf(2), str.getAttr("count", PyCallable.class).callAs(Long.class, "2"));
            assertThrows(JepException.class, () -> interp.getValue("1", PyCallable.class));

            assertEquals("[1, 2, 3, 4, 5]", interp.getValue("[1, 2, 3, 4, 5]", PyObject.class).toString());
            PyObject s = interp.getValue("'my python string'", PyObject.class);
            assertFalse(s.equals("my python string"));
            assertNotEquals(1, interp.getValue("1", PyObject.class));
            assertEquals(interp.getValue("'xyz'", PyObject.class).hashCode(), interp.getValue("'xyz'", PyObject.class).hashCode());
            assertEquals(interp.getValue("45", PyObject.class), interp.getValue("44 + 1", PyObject.class));

            interp.set("test", new int[] {1, 2, 3});
            assertArrayEquals(new int[] {1, 2, 3}, interp.getValue("list(test)", PyObject.class).as(int[].class));

            PyObject leaky;
            try (PyObject o = interp.getValue("object()", PyObject.class)) {
                leaky = o;
                o.close(); // twice: harmless
            }
            assertThrows(JepException.class, () -> leaky.getAttr("__doc__"));
        }
    }

    /** Jep's interfaces for TestGetJPyObject.testProxy. */
    public interface PyInt {
        Byte bit_length();
    }

    public interface PyInt2 {
        byte bit_length();
    }

    /** TestGetJPyObject.testProxy, test_jproxy.py: Java interfaces implemented by Python objects. */
    @Test
    @SuppressWarnings("unchecked")
    public void proxyImplementsJavaInterfacesWithPythonObjects() {
        try (Interpreter interp = new SubInterpreter()) {
            interp.eval("l = [7]");
            Deque<Object> q = interp.getValue("l", PyObject.class).proxy(Deque.class);
            assertEquals(7, ((Number) q.pop()).intValue());
            assertEquals(Boolean.TRUE, interp.getValue("len(l) == 0", Boolean.class));
            assertThrows(UndeclaredThrowableException.class, () -> q.push(1));
            PyInt i = interp.getValue("1", PyObject.class).proxy(PyInt.class);
            assertEquals(Byte.valueOf((byte) 1), i.bit_length());
            assertEquals(1, interp.getValue("1", PyObject.class).proxy(PyInt2.class).bit_length());
            interp.set("i", i);
            assertEquals(Byte.valueOf((byte) 1), interp.getValue("int.bit_length(i)", Byte.class));
            Function<String, String> upper = interp.getValue("lambda s: s.upper()", Function.class);
            assertEquals("ABC", upper.apply("abc"));
            // jep.jproxy from Python: a Python object as a java.lang.Runnable handed to Java
            interp.exec("""
                    import jep
                    from java.lang import Thread
                    ran = []
                    class Job:
                        def run(self):
                            ran.append(1)
                    job = jep.jproxy(Job(), ['java.lang.Runnable'])
                    job.run()
                    """);
            assertEquals(1L, interp.getValue("len(ran)"));
        }
    }

    /** test_import.py, TestAllowPythonEnquirer: Java classes from Python through the creating bundle's class space. */
    @Test
    public void javaImportsResolveThroughTheCallingBundlesClassSpace() {
        try (Interpreter interp = new SharedInterpreter()) {
            interp.exec("""
                    from java.util import ArrayList, HashMap
                    import java.util.concurrent
                    a = ArrayList()
                    a.add('x')
                    a.add(2)
                    m = HashMap()
                    m.put('k', a)
                    size = a.size()
                    first = a.get(0)
                    items = [str(x) for x in a]
                    queue = java.util.concurrent.ConcurrentLinkedQueue()
                    from org.pyhostjep.fixture import Counter
                    c = Counter(10)
                    after = c.increment(5)
                    field = c.count
                    greeting = Counter.GREETING
                    shout = Counter.shout('hi')
                    """);
            assertEquals(2L, interp.getValue("size"));
            assertEquals("x", interp.getValue("first"));
            assertEquals(List.of("x", "2"), interp.getValue("items"));
            assertEquals(15L, interp.getValue("after"));
            assertEquals(15L, interp.getValue("field"));
            assertEquals("hello from the probe", interp.getValue("greeting"));
            assertEquals("HI!", interp.getValue("shout"));
            Object fromPython = interp.getValue("m");
            assertTrue(String.valueOf(fromPython), fromPython instanceof java.util.HashMap<?, ?> hm && hm.get("k") instanceof ArrayList<?>);
            assertEquals("org.pyhostjep.fixture.Counter", interp.getValue("c").getClass().getName());
            // Java imports inside getValue and invoke too (their calls take another path than exec's)
            interp.exec("def make():\n    from java.util import LinkedList\n    return LinkedList()");
            assertEquals("java.util.LinkedList", interp.invoke("make").getClass().getName());
            assertEquals("java.util.TreeMap", interp.getValue("__import__('java.util', fromlist=['TreeMap']).TreeMap()").getClass().getName());
        }
        // another class loader (pyhost-api's bundle) does not see the probe's classes
        JepConfig otherSpace = new JepConfig().setClassLoader(ContextFactory.class.getClassLoader());
        try (Interpreter interp = new SubInterpreter(otherSpace)) {
            interp.exec("from java.util import ArrayList");
            JepException e = assertThrows(JepException.class, () -> interp.exec("from org.pyhostjep.fixture import Counter"));
            assertTrue(e.getMessage(), e.getMessage().startsWith("<class 'ImportError'>") || e.getMessage().startsWith("<class 'ModuleNotFoundError'>"));
        }
        // a ClassEnquirer given in JepConfig decides what is a Java package
        JepConfig onlyOrg = new JepConfig().setClassEnquirer(new NamingConventionClassEnquirer(false).addTopLevelPackageName("org"));
        try (Interpreter interp = new SubInterpreter(onlyOrg)) {
            interp.exec("from org.pyhostjep.fixture import Counter");
            JepException e = assertThrows(JepException.class, () -> interp.exec("from java.util import ArrayList"));
            assertTrue(e.getMessage(), e.getMessage().startsWith("<class 'ModuleNotFoundError'>"));
        }
    }

    /** TestNumpy: NDArray copies and DirectNDArray shared memory, in a SharedInterpreter (numpy needs the main interpreter). */
    @Test
    public void numpyArraysCrossAsNDArrayAndDirectNDArray() {
        PythonPackage numpy = service(PythonPackage.class);
        awaitCondition(() -> "numpy's path in the preload paths " + preload.paths(),
                () -> preload.paths().contains(numpy.paths().get(0).toString()));
        try (Interpreter interp = new SharedInterpreter()) {
            interp.exec("import numpy");
            Object[][] cases = {
                    {new boolean[] {true, false, true, true}, "bool"},
                    {new byte[] {0x10, 0x00, 0x54, 032}, "int8"},
                    {new short[] {5, 3, 1, 8}, "int16"},
                    {new int[] {547, 232, -675, 101}, "int32"},
                    {new long[] {62724764L, 3424637L, 3426734242L, -3429234L}, "int64"},
                    {new float[] {4.32f, -0.0001f, 349.285f, 3201.0f}, "float32"},
                    {new double[] {0.44321, 0.00015, -9.34278, 235574.53}, "float64"}};
            for (Object[] c : cases) {
                NDArray<Object> array = new NDArray<>(c[0], 2, 2);
                interp.set("arr", array);
                assertEquals(c[1], interp.getValue("str(arr.dtype)"));
                assertEquals(List.of(2L, 2L), interp.getValue("list(arr.shape)"));
                NDArray<?> back = (NDArray<?>) interp.getValue("arr");
                assertEquals(array, back);
                assertEquals(array.hashCode(), back.hashCode());
            }
            interp.set("u", new NDArray<>(new byte[] {(byte) 200}, true));
            assertEquals("uint8", interp.getValue("str(u.dtype)"));
            assertEquals(200L, interp.getValue("int(u[0])"));
            assertThrows(IllegalArgumentException.class, () -> new NDArray<>(new float[200], 15, 20));

            // DirectNDArray: the numpy array's own memory, both ways
            interp.exec("a = numpy.arange(4, dtype='int32')");
            DirectNDArray<?> direct = interp.getValue("a", DirectNDArray.class);
            IntBuffer ints = (IntBuffer) direct.getData();
            ints.put(0, 42);
            assertEquals(42L, interp.getValue("int(a[0])"));
            interp.exec("a[1] = 7");
            assertEquals(7, ints.get(1));
            interp.set("same", direct);
            assertEquals(Boolean.TRUE, interp.getValue("same is a"));

            // Java memory: shared for one call (invoke); set refuses to let Python keep it
            IntBuffer javaInts = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder()).asIntBuffer();
            javaInts.put(new int[] {1, 2, 3, 4});
            DirectNDArray<IntBuffer> javaArray = new DirectNDArray<>(javaInts);
            interp.exec("def double(x):\n    x *= 2\n    return int(x.sum())\n");
            assertEquals(20L, interp.invoke("double", javaArray));
            assertEquals(8, javaInts.get(3));
            JepException refused = assertThrows(JepException.class, () -> interp.set("kept", javaArray));
            assertTrue(refused.getMessage(), refused.getMessage().contains("getValue(name, DirectNDArray.class)"));
        }
    }

    /** TestSharedInterpreter, TestSharedModules: SharedInterpreters share modules, SubInterpreters are isolated; globals never shared. */
    @Test
    public void sharedInterpretersShareModulesSubInterpretersAreIsolated() {
        try (Interpreter one = new SharedInterpreter(); Interpreter two = new SharedInterpreter()) {
            one.exec("import sys, types\nsys.modules['jep_it_shared'] = types.ModuleType('jep_it_shared')\nonly_one = 1");
            assertEquals(Boolean.TRUE, two.getValue("'jep_it_shared' in __import__('sys').modules"));
            assertEquals(Boolean.FALSE, two.getValue("'only_one' in globals()"));
        }
        try (Interpreter one = new SubInterpreter(); Interpreter two = new SubInterpreter()) {
            one.exec("import sys, types\nsys.modules['jep_it_sub'] = types.ModuleType('jep_it_sub')");
            assertEquals(Boolean.TRUE, one.getValue("'jep_it_sub' in __import__('sys').modules"));
            assertEquals(Boolean.FALSE, two.getValue("'jep_it_sub' in __import__('sys').modules"));
            assertEquals("4.2.2", two.getValue("__import__('jep').__version__"));
        }
    }

    /** TestSubInterpOptions: isolated() is an own-GIL sub-interpreter; combinations pyhost lacks are refused, as are shared modules. */
    @Test
    public void subInterpreterOptionsMapToModesOrAreRefused() {
        try (Interpreter isolated = new SubInterpreter(new JepConfig().setSubInterpreterOptions(SubInterpreterOptions.isolated()))) {
            isolated.exec("import _interpreters\ncfg = _interpreters.get_config(_interpreters.get_current()[0])");
            assertEquals("own", isolated.getValue("str(cfg.gil)"));
            isolated.exec("from java.lang import Object");
        }
        try (Interpreter legacy = new SubInterpreter()) {
            legacy.exec("import _interpreters\ncfg = _interpreters.get_config(_interpreters.get_current()[0])");
            assertEquals("shared", legacy.getValue("str(cfg.gil)"));
        }
        JepException noFork = assertThrows(JepException.class,
                () -> new SubInterpreter(new JepConfig().setSubInterpreterOptions(SubInterpreterOptions.legacy().setAllowFork(false))));
        assertTrue(noFork.getMessage(), noFork.getMessage().contains("SubInterpreterOptions.legacy()"));
        JepException shared = assertThrows(JepException.class,
                () -> new SubInterpreter(new JepConfig().setSubInterpreterOptions(SubInterpreterOptions.isolated()).addSharedModules("os")));
        assertEquals("Shared modules can only be used with a shared allocator.", shared.getMessage());
        // MainInterpreter's start-up settings come too late once interpreters exist, as in Jep
        assertThrows(IllegalStateException.class, () -> MainInterpreter.setJepLibraryPath("/nowhere/libjep.so"));
    }

    /** TestUseThread / testThreading: where Jep throws on another thread, pyhost-jep serves it; close is bounded. */
    @Test
    public void anyThreadMayUseAnInterpreterAndCloseIsBounded() throws Exception {
        ExecutorService other = Executors.newSingleThreadExecutor();
        try (Interpreter interp = new SubInterpreter()) {
            interp.exec("x = 20");
            PyObject o = interp.getValue("object()", PyObject.class);
            assertEquals(21L, other.submit(() -> interp.getValue("x + 1")).get(30, TimeUnit.SECONDS));
            assertTrue(other.submit(() -> o.getAttr("__doc__")).get(30, TimeUnit.SECONDS) instanceof String);
            Object virtual = CompletableFuture.supplyAsync(() -> interp.getValue("x * 2"), Executors.newVirtualThreadPerTaskExecutor())
                    .get(30, TimeUnit.SECONDS);
            assertEquals(40L, virtual);
        }
        Interpreter busy = new SubInterpreter();
        java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
        busy.set("started", started);
        CompletableFuture<Object> looping = CompletableFuture.supplyAsync(() -> {
            busy.exec("started.countDown()\nwhile True:\n    pass");
            return null;
        }, other);
        assertTrue("the loop did not start", started.await(30, TimeUnit.SECONDS));
        busy.close(); // interrupts the loop running on the other thread
        Throwable ended = assertThrows(java.util.concurrent.ExecutionException.class, () -> looping.get(60, TimeUnit.SECONDS)).getCause();
        assertTrue(String.valueOf(ended), ended instanceof JepException);
        assertThrows(JepException.class, () -> busy.getValue("1"));
        other.shutdownNow();
    }
}
