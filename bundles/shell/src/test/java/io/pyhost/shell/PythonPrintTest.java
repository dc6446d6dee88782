package io.pyhost.shell;

import static org.junit.Assert.assertEquals;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.Test;

/** What the shell prints for each kind of value Python returns: what print() would show in Python 3.14. */
public class PythonPrintTest {

    @Test
    public void scalarsPrintAsPython() {
        assertEquals("None", PythonPrint.str(null));
        assertEquals("True", PythonPrint.str(true));
        assertEquals("False", PythonPrint.str(false));
        assertEquals("-42", PythonPrint.str(-42L));
        assertEquals("1267650600228229401496703205376", PythonPrint.str(BigInteger.TWO.pow(100)));
    }

    @Test
    public void aStringPrintsAsItIsAtTopLevelAndQuotedInsideContainers() {
        assertEquals("it's", PythonPrint.str("it's"));
        assertEquals("[\"it's\", 'say \"hi\"', 'both \\' \"', 'tab\\tnl\\n\\\\', '\\x00\\x7f', 'é€😀', '\\u200b']",
                PythonPrint.str(List.of("it's", "say \"hi\"", "both ' \"", "tab\tnl\n\\", "\0\u007f", "é€😀", "\u200b")));
    }

    @Test
    public void floatsUsePythonsShortestReprAndLayout() {
        // each pair: Python's repr(x), the double
        Object[][] cases = {
                {"0.1", 0.1}, {"1.0", 1.0}, {"-0.0", -0.0}, {"0.0", 0.0}, {"2.5", 2.5}, {"123.456", 123.456},
                {"1e+16", 1e16}, {"1000000000000000.0", 1e15}, {"1.5e+16", 1.5e16}, {"0.0001", 1e-4}, {"1e-05", 1e-5},
                {"1.7976931348623157e+308", Double.MAX_VALUE}, {"5e-324", Double.MIN_VALUE}, {"3.141592653589793", Math.PI},
                {"12345678.9", 12345678.9}, {"nan", Double.NaN}, {"inf", Double.POSITIVE_INFINITY}, {"-inf", Double.NEGATIVE_INFINITY},
                {"0.30000000000000004", 0.1 + 0.2}, {"-2.5e-07", -2.5e-7},
        };
        for (Object[] c : cases) {
            assertEquals("repr of " + c[1], c[0], PythonPrint.str(c[1]));
        }
    }

    @Test
    public void bytesAndContainers() {
        assertEquals("b'a\\x00\\xff\\n\"'", PythonPrint.str(new byte[] {'a', 0, (byte) 0xff, '\n', '"'}));
        assertEquals("b\"'\"", PythonPrint.str(new byte[] {'\''}));
        Map<Object, Object> map = new LinkedHashMap<>();
        map.put("k", List.of(1L, 2.0));
        map.put(3L, null);
        assertEquals("{'k': [1, 2.0], 3: None}", PythonPrint.str(map));
        assertEquals("set()", PythonPrint.str(Set.of()));
        assertEquals("{1, 'a'}", PythonPrint.str(new LinkedHashSet<>(Arrays.asList(1L, "a"))));
        assertEquals("[]", PythonPrint.str(List.of()));
        assertEquals("{}", PythonPrint.str(Map.of()));
    }
}
