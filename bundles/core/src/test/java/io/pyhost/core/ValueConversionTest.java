package io.pyhost.core;

import static org.junit.Assert.*;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

import io.pyhost.api.PyContext;
import io.pyhost.api.PyException;

/** Values both ways, through a real worker context: round trips and refusals. */
public class ValueConversionTest {
    private static ContextEngine engine;
    private static PyContext ctx;

    @BeforeClass
    public static void open() {
        engine = new ContextEngine(EmbeddedPython.runtime(), new PreloadRegistry(), null);
        ctx = EmbeddedPython.create(engine, "worker");
        ctx.exec("def same(x):\n    return x\n");
    }

    @AfterClass
    public static void close() {
        ctx.close();
    }

    private static Object roundTrip(Object value) {
        return ctx.call(null, "same", Arrays.asList(value), null);
    }

    @Test
    public void scalarsFromPython() {
        assertNull(ctx.eval("None"));
        assertEquals(Boolean.TRUE, ctx.eval("True"));
        assertEquals(Boolean.FALSE, ctx.eval("1 == 2"));
        assertEquals(42L, ctx.eval("42"));
        assertEquals(Long.MIN_VALUE, ctx.eval("-2**63"));
        assertEquals(new BigInteger("18446744073709551616"), ctx.eval("2**64"));
        assertEquals(BigInteger.TWO.pow(70).negate(), ctx.eval("-(2**70)"));
        assertEquals(0.5, ctx.eval("1/2"));
        assertTrue(Double.isNaN((Double) ctx.eval("float('nan')")));
        assertEquals(Double.POSITIVE_INFINITY, ctx.eval("float('inf')"));
        assertEquals(Double.NEGATIVE_INFINITY, ctx.eval("-float('inf')"));
        assertEquals("h\u00e9llo \uD83D\uDE00", ctx.eval("'h\\u00e9llo \\U0001F600'"));
        assertArrayEquals(new byte[] {0, 1, (byte) 255}, (byte[]) ctx.eval("bytes([0, 1, 255])"));
    }

    @Test
    public void hugeIntegersIgnoreTheDecimalDigitLimit() {
        // 10**5000 has more digits than CPython's default int_max_str_digits (4300)
        assertEquals(BigInteger.TEN.pow(5000), ctx.eval("10**5000"));
        assertEquals(BigInteger.TEN.pow(5000).negate(), roundTrip(BigInteger.TEN.pow(5000).negate()));
    }

    @Test
    public void subclassesConvertAsTheirBase() {
        ctx.exec("import enum, collections\nclass Color(enum.IntEnum):\n    RED = 1\nclass S(str): pass\n");
        assertEquals(1L, ctx.eval("Color.RED"));
        assertEquals("abc", ctx.eval("S('abc')"));
        assertEquals(Map.of("a", 1L), ctx.eval("collections.OrderedDict(a=1)"));
        assertEquals(List.of(1L, 2L), ctx.eval("collections.namedtuple('P', 'x y')(1, 2)"));
    }

    @Test
    public void anythingElseBecomesItsStr() {
        assertEquals("<class 'int'>", ctx.eval("int"));
        assertEquals("1+2j", ctx.eval("complex(1, 2)").toString().replace("(", "").replace(")", ""));
        assertEquals("bytearray(b'ab')", ctx.eval("bytearray(b'ab')"));
    }

    @Test
    public void containersKeepOrderAndShape() {
        Object nested = ctx.eval("{'b': [1, (2, 3), {4}], 'a': {'x': None}, 'c': frozenset([5])}");
        Map<Object, Object> expected = new LinkedHashMap<>();
        expected.put("b", List.of(1L, List.of(2L, 3L), Set.of(4L)));
        Map<String, Object> inner = new HashMap<>();
        inner.put("x", null);
        expected.put("a", inner);
        expected.put("c", Set.of(5L));
        assertEquals(expected, nested);
        assertEquals(List.of("b", "a", "c"), new ArrayList<>(((Map<?, ?>) nested).keySet()));
    }

    @Test
    public void javaValuesRoundTrip() {
        for (Object value : new Object[] {null, true, false, 0L, -7L, Long.MAX_VALUE, BigInteger.TWO.pow(64),
                BigInteger.TWO.pow(70).negate(), 3.25, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
                "", "plain", "non-BMP \uD83D\uDE00 \uD834\uDD1E", "nul\0inside"}) {
            assertEquals(String.valueOf(value), value, roundTrip(value));
        }
        assertEquals(5L, roundTrip(5));
        assertEquals(5L, roundTrip((short) 5));
        assertEquals(5L, roundTrip((byte) 5));
        assertEquals(1.5, roundTrip(1.5f));
        assertEquals("x", roundTrip('x'));
        assertArrayEquals(new byte[] {9, 8, 7}, (byte[]) roundTrip(new byte[] {9, 8, 7}));
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("z", List.of(1L, "two", List.of(3.0)));
        map.put("a", new LinkedHashSet<>(List.of("s")));
        assertEquals(map, roundTrip(map));
        assertEquals(List.of(1L, 2L, 3L), roundTrip(new int[] {1, 2, 3}));
        assertEquals(List.of("a", "b"), roundTrip(new String[] {"a", "b"}));
    }

    @Test
    public void loneSurrogatesSurviveBothWays() {
        String lone = "a\uD800b";
        assertEquals(lone, roundTrip(lone));
        assertEquals(3L, ctx.call("builtins", "len", List.of(lone), null));
        assertEquals("\uDC80", ctx.eval("'\\udc80'"));
    }

    @Test
    public void largeBytesBothWays() {
        byte[] big = new byte[10 * 1024 * 1024];
        big[0] = 1;
        big[big.length - 1] = 2;
        assertArrayEquals(big, (byte[]) roundTrip(big));
        assertEquals((long) big.length, ctx.eval("len(data)", Map.of("data", big)));
    }

    @Test
    public void pythonCyclesAreRefused() {
        ctx.exec("loop = [1]\nloop.append(loop)\nd = {}\nd['self'] = d\n");
        IllegalArgumentException list = assertThrows(IllegalArgumentException.class, () -> ctx.eval("loop"));
        assertEquals("Python list contains itself; a cycle cannot be converted", list.getMessage());
        IllegalArgumentException dict = assertThrows(IllegalArgumentException.class, () -> ctx.eval("d"));
        assertEquals("Python dict contains itself; a cycle cannot be converted", dict.getMessage());
        // the same object twice without a cycle is fine
        assertEquals(List.of(List.of(1L), List.of(1L)), ctx.eval("[[1]] * 2"));
    }

    @Test
    public void javaCyclesAreRefused() {
        List<Object> loop = new ArrayList<>();
        loop.add(loop);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> roundTrip(loop));
        assertEquals("Java java.util.ArrayList contains itself; a cycle cannot be converted", e.getMessage());
        assertEquals(2L, ctx.eval("1 + 1"));
    }

    @Test
    public void nestingDeeperThanTheLimitIsRefusedBothWays() {
        IllegalArgumentException py = assertThrows(IllegalArgumentException.class, () -> ctx.eval("eval('[' * 150 + ']' * 150)"));
        assertEquals("Python value nested deeper than 100 levels", py.getMessage());
        assertNotNull(ctx.eval("eval('[' * 99 + ']' * 99)"));
        Object deep = List.of();
        for (int i = 0; i < 150; i++) {
            deep = List.of(deep);
        }
        Object tooDeep = deep;
        IllegalArgumentException java = assertThrows(IllegalArgumentException.class, () -> roundTrip(tooDeep));
        assertEquals("Java value nested deeper than 100 levels", java.getMessage());
    }

    @Test
    public void unconvertibleJavaValuesNameTheirType() {
        Object plain = new Object();
        assertSame("a Java object the table does not convert goes to Python as a pyhost.JavaObject and comes back itself",
                plain, roundTrip(plain));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> roundTrip(Thread.currentThread()));
        assertTrue(e.getMessage(), e.getMessage().startsWith("pyhost does not give Python a Java java.lang.Thread"));
        IllegalArgumentException key = assertThrows(IllegalArgumentException.class,
                () -> roundTrip(Map.of(List.of(1), "unhashable key")));
        assertTrue(key.getMessage(), key.getMessage().startsWith("cannot use a Java java.util."));
        assertEquals(4L, ctx.eval("2 + 2"));
    }

    @Test
    public void aFailingStrIsAPythonError() {
        ctx.exec("class Bad:\n    def __str__(self):\n        raise ValueError('no str for you')\n");
        PyException e = assertThrows(PyException.class, () -> ctx.eval("Bad()"));
        assertEquals("ValueError", e.pythonType());
        assertEquals("no str for you", e.pythonMessage());
    }
}
