package io.pyhost.shell;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Renders a value that came back from Python the way Python's {@code print()} shows it: a string
 * as it is, everything else as its {@code repr()} ({@code None}, {@code True}, {@code 1e+16},
 * {@code [1, 'a']}, {@code {'k': b'\x00'}}). The shell prints values this way so that what a
 * Python user sees matches what Python would have printed.
 *
 * <p>Works on the Java side of the conversion ({@code PyContext} javadoc): tuples arrive as
 * lists and print as {@code [..]}; objects Python could not convert arrive as their
 * {@code str()} and print as that string, quoted when nested.
 */
final class PythonPrint {
    private PythonPrint() {
    }

    /** What {@code print(value)} would show. */
    static String str(Object value) {
        return value instanceof String s ? s : repr(value);
    }

    /** What {@code repr(value)} would give. */
    static String repr(Object value) {
        StringBuilder out = new StringBuilder();
        repr(value, out);
        return out.toString();
    }

    private static void repr(Object value, StringBuilder out) {
        switch (value) {
            case null -> out.append("None");
            case Boolean b -> out.append(b ? "True" : "False");
            case String s -> string(s, out);
            case Double d -> out.append(floating(d));
            case Float f -> out.append(floating(f.doubleValue()));
            case byte[] bytes -> bytes(bytes, out);
            case List<?> list -> items(list, "[", "]", out);
            case Set<?> set -> {
                if (set.isEmpty()) {
                    out.append("set()");
                } else {
                    items(set, "{", "}", out);
                }
            }
            case Map<?, ?> map -> {
                out.append('{');
                String separator = "";
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    out.append(separator);
                    repr(e.getKey(), out);
                    out.append(": ");
                    repr(e.getValue(), out);
                    separator = ", ";
                }
                out.append('}');
            }
            default -> out.append(value); // Long, BigInteger, Integer: the same digits as Python
        }
    }

    private static void items(Collection<?> items, String open, String close, StringBuilder out) {
        out.append(open);
        for (Iterator<?> it = items.iterator(); it.hasNext();) {
            repr(it.next(), out);
            if (it.hasNext()) {
                out.append(", ");
            }
        }
        out.append(close);
    }

    /** Python's quoting: single quotes unless the text has a single quote and no double quote. */
    private static void string(String s, StringBuilder out) {
        char quote = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        out.append(quote);
        s.codePoints().forEach(c -> {
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\t' -> out.append("\\t");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                default -> {
                    if (c == quote) {
                        out.append('\\').append(quote);
                    } else if (printable(c)) {
                        out.appendCodePoint(c);
                    } else if (c < 0x100) {
                        out.append(String.format("\\x%02x", c));
                    } else if (c < 0x10000) {
                        out.append(String.format("\\u%04x", c));
                    } else {
                        out.append(String.format("\\U%08x", c));
                    }
                }
            }
        });
        out.append(quote);
    }

    /** {@code str.isprintable()} for one code point: not a control, format, surrogate, private, unassigned or separator character (space excepted). */
    private static boolean printable(int c) {
        if (c == ' ') {
            return true;
        }
        return switch (Character.getType(c)) {
            case Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.PRIVATE_USE, Character.UNASSIGNED,
                    Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR, Character.SPACE_SEPARATOR -> false;
            default -> true;
        };
    }

    private static void bytes(byte[] bytes, StringBuilder out) {
        boolean single = false;
        boolean dbl = false;
        for (byte b : bytes) {
            single |= b == '\'';
            dbl |= b == '"';
        }
        char quote = single && !dbl ? '"' : '\'';
        out.append('b').append(quote);
        for (byte b : bytes) {
            int c = b & 0xff;
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\t' -> out.append("\\t");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                default -> {
                    if (c == quote) {
                        out.append('\\').append(quote);
                    } else if (c < 0x20 || c >= 0x7f) {
                        out.append(String.format("\\x%02x", c));
                    } else {
                        out.append((char) c);
                    }
                }
            }
        }
        out.append(quote);
    }

    /**
     * {@code repr(float)}: the shortest digits that round-trip (Java's {@link Double#toString}
     * finds the same ones since JDK 19, except that it may prefer two digits to one), laid out by Python's rule: positional when the decimal
     * point falls within -4 &lt; exponent &le; 16, else {@code d.ddde±XX}.
     */
    static String floating(double d) {
        if (Double.isNaN(d)) {
            return "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        if (d == 0) {
            return (1 / d < 0) ? "-0.0" : "0.0";
        }
        BigDecimal exact = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
        if (exact.precision() == 2) {
            // Java prefers the closest of 1- and 2-digit decimals (4.9e-324), Python the shortest (5e-324)
            BigDecimal one = exact.round(new MathContext(1, RoundingMode.HALF_EVEN));
            if (one.doubleValue() == Math.abs(d)) {
                exact = one.stripTrailingZeros();
            }
        }
        String digits = exact.unscaledValue().toString();
        int point = digits.length() - exact.scale(); // value = 0.<digits> * 10^point
        StringBuilder out = new StringBuilder(d < 0 ? "-" : "");
        if (point > -4 && point <= 16) {
            if (point <= 0) {
                out.append("0.").append("0".repeat(-point)).append(digits);
            } else if (point >= digits.length()) {
                out.append(digits).append("0".repeat(point - digits.length())).append(".0");
            } else {
                out.append(digits, 0, point).append('.').append(digits, point, digits.length());
            }
        } else {
            int exponent = point - 1;
            out.append(digits.charAt(0));
            if (digits.length() > 1) {
                out.append('.').append(digits, 1, digits.length());
            }
            out.append('e').append(exponent < 0 ? '-' : '+');
            String e = Integer.toString(Math.abs(exponent));
            out.append(e.length() < 2 ? "0" + e : e);
        }
        return out.toString();
    }
}
