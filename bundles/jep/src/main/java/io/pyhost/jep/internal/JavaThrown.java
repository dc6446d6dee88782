package io.pyhost.jep.internal;

/**
 * How pyhost-jep's Java side fails a call from Python: pyhost raises it in Python as
 * {@code pyhost.JavaError}, and pyhost-jep's Python side turns it into the Python exception Jep
 * raises ({@code IndexError} for an {@code IndexOutOfBoundsException}, ...). The message carries
 * the Python type, the Java type and the text, separated by U+001F.
 */
public final class JavaThrown extends RuntimeException {
    private static final long serialVersionUID = 1L;

    JavaThrown(String pythonType, String javaType, String text, Throwable cause) {
        super(pythonType + '\u001f' + javaType + '\u001f' + text, cause, false, false);
    }

    /** A Java exception a method Python called threw, as Jep maps it. */
    static JavaThrown of(Throwable t) {
        String text = t.getClass().getName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
        return new JavaThrown(pythonType(t), t.getClass().getName(), text, t);
    }

    /** A misuse from Python (no such method, arguments that fit no overload). */
    static JavaThrown python(String pythonType, String text) {
        return new JavaThrown(pythonType, "", text, null);
    }

    /** The Python exception type Jep raises for {@code t}. */
    static String pythonType(Throwable t) {
        for (Class<?> c = t.getClass(); c != null; c = c.getSuperclass()) {
            switch (c.getName()) {
                case "java.lang.IndexOutOfBoundsException":
                    return "IndexError";
                case "java.io.IOException":
                    return "OSError";
                case "java.lang.ClassCastException":
                    return "TypeError";
                case "java.lang.IllegalArgumentException":
                    return "ValueError";
                case "java.lang.ArithmeticException":
                    return "ArithmeticError";
                case "java.lang.OutOfMemoryError":
                    return "MemoryError";
                case "java.lang.AssertionError":
                    return "AssertionError";
                case "java.lang.ClassNotFoundException":
                    return "ImportError";
                default:
                    break;
            }
        }
        return "JavaException";
    }
}
