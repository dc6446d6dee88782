package io.pyhost.shell;

import static org.junit.Assert.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

import io.pyhost.api.PyContext;
import io.pyhost.core.EngineContextFactory;

/**
 * What the shell prints for each kind of value Python returns, checked against what real
 * CPython 3.14 prints: every expected text below is computed by the interpreter ({@code repr()}
 * or {@code str()}), from the very value that then crosses to Java and is printed by
 * {@link PythonPrint}.
 */
public class PythonPrintTest {
    private static EngineContextFactory factory;
    private static PyContext python;

    @BeforeClass
    public static void startPython() {
        factory = new EngineContextFactory();
        python = factory.create("worker");
    }

    @AfterClass
    public static void stopPython() {
        factory.close();
    }

    @Test
    public void floatsUsePythonsShortestReprAndLayout() {
        List<Double> doubles = new ArrayList<>(List.of(0.0, -0.0, 0.1, 1.0, 2.5, 123.456, 1e16, 1e15, 1.5e16, 1e-4, 1e-5,
                9999999999999998.0, 0.1 + 0.2, Math.PI, Math.E, 1.0 / 3, 12345678.9, -2.5e-7, Double.MAX_VALUE, Double.MIN_VALUE,
                Double.MIN_NORMAL, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY));
        for (int e = -325; e <= 309; e++) { // each decimal exponent, where the layout switches, and the doubles next to it
            for (String mantissa : List.of("1", "1.5", "2", "5", "9.999", "9.9999999999999999")) {
                double d = Double.parseDouble(mantissa + "e" + e);
                doubles.addAll(List.of(d, -d, Math.nextUp(d), Math.nextDown(d)));
            }
        }
        for (int k = -1074; k <= 1023; k++) {
            doubles.add(Math.scalb(1.0, k));
        }
        for (int k = 1; k <= 300; k++) { // subnormals, where Java may prefer two digits to Python's one
            doubles.add(k * Double.MIN_VALUE);
        }
        Random random = new Random(314);
        for (int i = 0; i < 5_000; i++) {
            doubles.add(Double.longBitsToDouble(random.nextLong()));                         // any bit pattern
            doubles.add(random.nextInt(1_000_000) / Math.pow(10, random.nextInt(30) - 10)); // short decimals
        }
        assertSameAsPython("float", doubles);
    }

    @Test
    public void stringsQuoteAndEscapeAsPythonDoes() {
        // every code point of planes 0-3 and 14 but the surrogates, and the first and last 256 of every other
        // plane (unassigned or private use throughout), 256 to a string, made and shown by Python
        List<?> pairs = (List<?>) python.eval("[(s, repr(s)) for s in (''.join(map(chr, range(i, i + 256))) "
                + "for i in range(0, 0x110000, 256) if not 0xd800 <= i < 0xe000 and "
                + "(i < 0x40000 or 0xe0000 <= i < 0xf0000 or i % 0x10000 in (0, 0xff00)))]");
        assertEquals(4 * 256 - 8 + 256 + 2 * 12, pairs.size());
        assertPairs("code points", pairs);

        assertSameAsPython("quoting", List.of("it's", "say \"hi\"", "both ' \"", "tab\tnl\n\\", "\0\u007f", "é€😀", "\u200b", "",
                "'", "\"", "\\'", "\r\u0085\u2028\u00a0\u3000 "));
        assertEquals("a string prints as it is", python.eval("str(\"it's\")"), PythonPrint.str("it's"));
    }

    @Test
    public void bytesQuoteAndEscapeAsPythonDoes() {
        assertPairs("single bytes", (List<?>) python.eval("[(bytes([i]), repr(bytes([i]))) for i in range(256)]"));
        assertPairs("quoting", (List<?>) python.eval("[(b, repr(b)) for b in (bytes(range(256)), b\"'\", b'\"', b'\\'\"', b'', b'a\\\\b')]"));
    }

    @Test
    public void valuesPrintAsPythonsPrintShowsThem() {
        List<String> expressions = List.of("None", "True", "False", "0", "-42", "2 ** 63 - 1", "2 ** 63", "-2 ** 63", "-(2 ** 64)",
                "2 ** 100", "-(10 ** 40)", "'text'", "''", "[]", "{}", "set()", "[1, 'b', None, 2.5, True]",
                "{'k': [1, 2.0], 3: None}", "{1, 'a', 2.5, None}", "{'\\'': '\"', 'x': b'\\x00\\xff'}",
                "[float('nan'), float('inf'), -0.0, 1e16, 1e-05]", "[[[]], {'a': {'b': set()}}, [set(), {}]]",
                "list(range(10))", "{i: i * i for i in range(5)}", "[b'', b'\\'\"']", "['é€😀\\u200b\\x00']",
                "{'nested': [{'deep': [1.5, 'x\\ny']}]}");
        for (String expression : expressions) {
            assertEquals(expression, python.eval("str(" + expression + ")"), PythonPrint.str(python.eval(expression)));
        }
    }

    @Test
    public void whatTheConversionChangesPrintsAsTheConvertedValue() {
        // documented (PythonPrint javadoc): a tuple arrives as a list, an object without a Java form as its str()
        assertEquals(python.eval("str(list((1, 'a')))"), PythonPrint.str(python.eval("(1, 'a')")));
        assertEquals(python.eval("str(range(3))"), PythonPrint.str(python.eval("range(3)")));
        assertEquals(python.eval("str([str(range(3))])"), PythonPrint.str(python.eval("[range(3)]")));
    }

    /** Python's repr of each value (sent to Python and back) against PythonPrint's. */
    private static void assertSameAsPython(String what, List<?> values) {
        assertPairs(what, (List<?>) python.eval("[(v, repr(v)) for v in values]", Map.of("values", values)));
    }

    /** Each pair: a value as Python returned it, and Python's repr of it. */
    private static void assertPairs(String what, List<?> pairs) {
        List<String> mismatches = new ArrayList<>();
        for (Object item : pairs) {
            List<?> pair = (List<?>) item;
            String expected = (String) pair.get(1);
            String actual = PythonPrint.repr(pair.get(0));
            if (!expected.equals(actual)) {
                mismatches.add(firstDifference(expected, actual));
            }
        }
        assertEquals(what + ": " + mismatches.size() + " of " + pairs.size() + " differ from Python's repr, e.g. "
                + mismatches.subList(0, Math.min(10, mismatches.size())), 0, mismatches.size());
    }

    private static String firstDifference(String expected, String actual) {
        int i = 0;
        while (i < Math.min(expected.length(), actual.length()) && expected.charAt(i) == actual.charAt(i)) {
            i++;
        }
        int from = Math.max(0, i - 10);
        return "Python " + expected.substring(from, Math.min(expected.length(), i + 20)) + " / PythonPrint "
                + actual.substring(from, Math.min(actual.length(), i + 20)) + (from > 0 ? " (at " + i + ")" : "");
    }
}
