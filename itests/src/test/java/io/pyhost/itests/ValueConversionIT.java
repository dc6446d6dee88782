package io.pyhost.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;

import io.pyhost.api.PyContext;

/**
 * DESIGN.md "Values", both ways, in every mode present: Python values evaluated into Java, and
 * Java values through Python and back via {@code call} of an identity function defined in the
 * preload, with Python's view of each value checked on the way.
 */
@RunWith(PaxExam.class)
public class ValueConversionIT extends PyhostTestSupport {

    static final String PRELOAD = "def identity(x):\n    return x\n\ndef kind(x):\n    return type(x).__name__\n";

    /** U+1F600, outside the BMP: a surrogate pair in Java, one code point in Python. */
    static final String GRINNING = "\uD83D\uDE00";

    @Test
    public void pythonToJava_scalars() {
        forEachMode(mode -> {
            try (PyContext ctx = create(mode)) {
                assertNull(ctx.eval("None"));
                assertEquals(Boolean.TRUE, ctx.eval("True"));
                assertEquals(Boolean.FALSE, ctx.eval("1 == 2"));
                assertEquals(42L, ctx.eval("42"));
                assertEquals(Long.MAX_VALUE, ctx.eval("2**63 - 1"));
                assertEquals(Long.MIN_VALUE, ctx.eval("-(2**63)"));
                assertEquals(new BigInteger("9223372036854775808"), ctx.eval("2**63"));
                assertEquals(new BigInteger("18446744073709551616"), ctx.eval("2**64"));
                assertEquals(BigInteger.TWO.pow(70).negate(), ctx.eval("-(2**70)"));
                assertEquals("beyond int_max_str_digits (4300) too", BigInteger.TEN.pow(5000), ctx.eval("10**5000"));
                assertTrue(Double.isNaN((Double) ctx.eval("float('nan')")));
                assertEquals(Double.POSITIVE_INFINITY, ctx.eval("float('inf')"));
                assertEquals(Double.NEGATIVE_INFINITY, ctx.eval("-float('inf')"));
                assertEquals(0.1, ctx.eval("0.1"));
                assertEquals(GRINNING, ctx.eval("'\\U0001F600'"));
                assertEquals("h\u00e9llo \u4e16\u754c " + GRINNING, ctx.eval("'h\\xe9llo \\u4e16\\u754c \\U0001F600'"));
                assertArrayEquals(new byte[] {0, (byte) 0xff, 'a'}, (byte[]) ctx.eval("b'\\x00\\xffa'"));
                assertEquals("a value without a mapping becomes its str()", "(1+2j)", ctx.eval("complex(1, 2)"));
            }
        });
    }

    @Test
    public void pythonToJava_nestedContainers() {
        forEachMode(mode -> {
            try (PyContext ctx = create(mode)) {
                Object value = ctx.eval("{'list': [1, 'two', None], 'tuple': (3, (4, 5)), 'set': {6}, 'frozen': frozenset({7}),"
                        + " 'dict': {'z': 1, 'a': {'deep': [True, b'x']}}, 'empty': ()}");
                Map<?, ?> map = (Map<?, ?>) value;
                assertEquals("dict order is insertion order", List.of("list", "tuple", "set", "frozen", "dict", "empty"),
                        new ArrayList<>(map.keySet()));
                assertEquals(Arrays.asList(1L, "two", null), map.get("list"));
                assertEquals("tuples become lists", List.of(3L, List.of(4L, 5L)), map.get("tuple"));
                assertEquals(Set.of(6L), map.get("set"));
                assertEquals(Set.of(7L), map.get("frozen"));
                Map<?, ?> dict = (Map<?, ?>) map.get("dict");
                assertEquals(List.of("z", "a"), new ArrayList<>(dict.keySet()));
                List<?> deep = (List<?>) ((Map<?, ?>) dict.get("a")).get("deep");
                assertEquals(true, deep.get(0));
                assertArrayEquals("x".getBytes(), (byte[]) deep.get(1));
                assertEquals(List.of(), map.get("empty"));
                assertEquals(Map.of(1L, "int keys stay ints"), ctx.eval("{1: 'int keys stay ints'}"));
            }
        });
    }

    @Test
    public void javaToPythonToJava_throughAPreloadedIdentityFunction() {
        forEachMode(mode -> {
            preload.setCode(PRELOAD);
            try (PyContext ctx = create(mode)) {
                assertRoundTrip(ctx, null, "NoneType", null);
                assertRoundTrip(ctx, true, "bool", true);
                assertRoundTrip(ctx, false, "bool", false);
                assertRoundTrip(ctx, 7, "int", 7L);
                assertRoundTrip(ctx, (short) -3, "int", -3L);
                assertRoundTrip(ctx, (byte) 5, "int", 5L);
                assertRoundTrip(ctx, Long.MAX_VALUE, "int", Long.MAX_VALUE);
                assertRoundTrip(ctx, Long.MIN_VALUE, "int", Long.MIN_VALUE);
                assertRoundTrip(ctx, BigInteger.TWO.pow(64), "int", BigInteger.TWO.pow(64));
                assertRoundTrip(ctx, BigInteger.TWO.pow(70).negate(), "int", BigInteger.TWO.pow(70).negate());
                assertRoundTrip(ctx, BigInteger.valueOf(12), "int", 12L);
                assertRoundTrip(ctx, 2.5, "float", 2.5);
                assertRoundTrip(ctx, 1.5f, "float", 1.5);
                assertRoundTrip(ctx, Double.POSITIVE_INFINITY, "float", Double.POSITIVE_INFINITY);
                assertRoundTrip(ctx, Double.NEGATIVE_INFINITY, "float", Double.NEGATIVE_INFINITY);
                assertTrue(Double.isNaN((Double) ctx.call(null, "identity", List.of(Double.NaN), null)));
                assertEquals(true, ctx.eval("x != x", Map.of("x", Double.NaN)));
                assertRoundTrip(ctx, GRINNING, "str", GRINNING);
                assertRoundTrip(ctx, "", "str", "");
                assertEquals("one code point in Python", 1L, ctx.eval("len(s)", Map.of("s", GRINNING)));
                assertEquals(0x1F600L, ctx.eval("ord(s)", Map.of("s", GRINNING)));

                byte[] bytes = {0, 1, (byte) 0x80, (byte) 0xff};
                assertEquals("bytes", ctx.call(null, "kind", List.of(bytes), null));
                assertArrayEquals(bytes, (byte[]) ctx.call(null, "identity", List.of(bytes), null));
                assertEquals(List.of(0L, 1L, 128L, 255L), ctx.eval("list(b)", Map.of("b", bytes)));

                assertRoundTrip(ctx, new int[] {1, 2}, "list", List.of(1L, 2L));
                assertRoundTrip(ctx, new String[] {"a", GRINNING}, "list", List.of("a", GRINNING));

                Map<String, Object> nested = new LinkedHashMap<>();
                nested.put("list", Arrays.asList(1, null, "s"));
                nested.put("set", new LinkedHashSet<>(List.of("x", "y")));
                nested.put("map", Map.of("big", BigInteger.TWO.pow(64)));
                nested.put("bool", false);
                Map<String, Object> expected = new LinkedHashMap<>();
                expected.put("list", Arrays.asList(1L, null, "s"));
                expected.put("set", Set.of("x", "y"));
                expected.put("map", Map.of("big", BigInteger.TWO.pow(64)));
                expected.put("bool", false);
                assertRoundTrip(ctx, nested, "dict", expected);
                assertEquals("a Java Set is a Python set", "set", ctx.eval("kind(v['set'])", Map.of("v", nested)));
                assertEquals("a Java List is a Python list", "list", ctx.eval("kind(v['list'])", Map.of("v", nested)));
                assertEquals("order survives the trip", List.of("list", "set", "map", "bool"),
                        new ArrayList<>(((Map<?, ?>) ctx.call(null, "identity", List.of(nested), null)).keySet()));
                assertEquals("Python sees the exact value", true, ctx.eval("v['map']['big'] == 2**64", Map.of("v", nested)));
            }
        });
    }

    private static void assertRoundTrip(PyContext ctx, Object in, String pythonType, Object out) {
        assertEquals("Python type of " + describe(in), pythonType, ctx.call(null, "kind", Arrays.asList(in), null));
        assertEquals("round trip of " + describe(in), out, ctx.call(null, "identity", Arrays.asList(in), null));
    }

    private static String describe(Object value) {
        if (value == null) {
            return "null";
        }
        if (value.getClass().isArray()) {
            return value.getClass().getSimpleName();
        }
        return value.getClass().getSimpleName() + " " + value;
    }
}
