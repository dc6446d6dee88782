package io.pyhost.jep.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.Test;

import jep.NDArray;

/** Jep's conversions as pyhost-jep's Codec does them, on values as Python's side sends them (no Python needed). */
public class CodecTest {
    private static final String MARK = "\u001ejep:test";
    private final Codec codec = new Codec(null, MARK);

    private Object fit(Object sent, Class<?> type) {
        return codec.fit(codec.raw(sent), type);
    }

    @Test
    public void integersNarrowOnlyWithinRange() {
        assertEquals(2, fit(2L, Integer.class));
        assertEquals((short) 2, fit(2L, short.class));
        assertEquals((byte) -128, fit(-128L, Byte.class));
        Codec.Mismatch m = assertThrows(Codec.Mismatch.class, () -> fit(1000L, Byte.class));
        assertEquals("OverflowError", m.pythonType);
        assertEquals("1000 is outside the valid range of a Java byte.", m.getMessage());
        assertEquals(new BigInteger("123456789012345678901234567890"), fit(new BigInteger("123456789012345678901234567890"), Object.class));
        assertThrows(Codec.Mismatch.class, () -> fit(new BigInteger("123456789012345678901234567890"), Long.class));
        assertEquals(2.0, fit(2L, double.class));
        assertThrows(Codec.Mismatch.class, () -> fit(2L, Double.class)); // Jep: a boxed Double wants a Python float
    }

    @Test
    public void mismatchesNameBothTypesAsJepDoes() {
        Codec.Mismatch m = assertThrows(Codec.Mismatch.class, () -> fit("abc", Integer.class));
        assertEquals("Expected java.lang.Integer but received a str.", m.getMessage());
        assertEquals("Expected char but received a str.", assertThrows(Codec.Mismatch.class, () -> fit("ab", char.class)).getMessage());
        assertThrows(Codec.Mismatch.class, () -> fit(null, int.class));
        assertEquals(null, fit(null, Double.class));
    }

    @Test
    public void tuplesAreUnmodifiableListsAndListsFitArrays() {
        Object tuple = fit(Arrays.asList(MARK, "T", "abc", "def"), Object.class);
        assertEquals(List.of("abc", "def"), tuple);
        assertThrows(UnsupportedOperationException.class, () -> ((List<Object>) tuple).add("x"));
        assertArrayEquals(new int[] {1, 2}, (int[]) fit(Arrays.asList(1L, 2L), int[].class));
        assertArrayEquals(new Boolean[] {true}, (Boolean[]) fit(Arrays.asList(MARK, "T", true), Boolean[].class));
        Object list = fit(new ArrayList<>(List.of(1L, "x")), Object.class);
        assertEquals(ArrayList.class, list.getClass());
    }

    @Test
    public void javaObjectsComeBackAsThemselves() {
        ArrayList<String> mine = new ArrayList<>();
        JavaValue holder = new JavaValue(null, mine);
        assertSame(mine, fit(holder, Object.class));
        assertSame(mine, fit(holder, List.class));
        assertEquals(Map.of("k", 1L), fit(Map.of("k", 1L), Map.class));
    }

    @Test
    public void numpyBytesBecomeTypedArrays() {
        byte[] bytes = Codec.bytesOf(new int[] {547, -675});
        NDArray<?> nd = (NDArray<?>) fit(Arrays.asList(MARK, "N", Codec.dtype(int.class, false), List.of(2L), bytes, 1L), Object.class);
        assertArrayEquals(new int[] {547, -675}, (int[]) nd.getData());
        assertEquals("|b1", Codec.dtype(boolean.class, false));
        assertEquals("|u1", Codec.dtype(byte.class, true));
        NDArray<?> z = Codec.ndarray(new Codec.NumpyValue("|b1", new int[] {3}, new byte[] {1, 0, 1}, 0));
        assertArrayEquals(new boolean[] {true, false, true}, (boolean[]) z.getData());
        assertThrows(jep.JepException.class, () -> Codec.ndarray(new Codec.NumpyValue("<c16", new int[] {1}, new byte[16], 0)));
    }

    @Test
    public void overloadsAreChosenByHowWellValuesFit() throws Throwable {
        List<java.lang.reflect.Method> valueOf = Members.of(String.class).staticMethods.get("valueOf");
        assertEquals("1", Members.invoke(codec, "String.valueOf", valueOf, null, List.of(1L)));
        assertEquals("true", Members.invoke(codec, "String.valueOf", valueOf, null, List.of(true)));
        assertEquals("1.5", Members.invoke(codec, "String.valueOf", valueOf, null, List.of(1.5)));
        List<java.lang.reflect.Method> format = Members.of(String.class).staticMethods.get("format");
        assertEquals("a-2", Members.invoke(codec, "String.format", format, null, List.of("%s-%d", "a", 2L)));
        JavaThrown none = assertThrows(JavaThrown.class, () -> Members.invoke(codec, "String.valueOf", valueOf, null, List.of(1L, 2L, 3L, 4L)));
        assertTrue(none.getMessage(), none.getMessage().startsWith("TypeError\u001f"));
    }

    @Test
    public void javaExceptionsMapToJepsPythonTypes() {
        assertEquals("IndexError", JavaThrown.pythonType(new ArrayIndexOutOfBoundsException()));
        assertEquals("ValueError", JavaThrown.pythonType(new NumberFormatException()));
        assertEquals("OSError", JavaThrown.pythonType(new java.io.FileNotFoundException()));
        assertEquals("TypeError", JavaThrown.pythonType(new ClassCastException()));
        assertEquals("ArithmeticError", JavaThrown.pythonType(new ArithmeticException()));
        assertEquals("RuntimeError", JavaThrown.pythonType(new NullPointerException()));
    }

    @Test
    public void pythonErrorsReadLikeJeps() {
        io.pyhost.api.PyException e = new io.pyhost.api.PyException("builtins.ValueError", "bad",
                "Traceback (most recent call last):\n  File \"<string>\", line 1, in <module>\n  File \"/tmp/mod.py\", line 7, in fail\nValueError: bad\n");
        PythonError error = PythonError.of(e, null, null);
        assertEquals("<class 'ValueError'>: bad", error.getMessage());
        assertEquals(new StackTraceElement("mod", "fail", "mod.py", 7), error.getStackTrace()[0]);
        assertEquals("<class 'mymod.MyError'>: x", PythonError.of(new io.pyhost.api.PyException("mymod.MyError", "x", ""), null, null).getMessage());
    }
}
