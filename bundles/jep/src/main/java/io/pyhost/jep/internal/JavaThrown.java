package io.pyhost.jep.internal;

/**
 * How pyhost-jep's Java side fails a call from Python: pyhost raises it in Python as
 * {@code pyhost.JavaError}, and pyhost-jep's Python side turns it into the Python exception Jep
 * raises ({@code IndexError} for an {@code IndexOutOfBoundsException}, ...). The message carries
 * the Python type, the Java type, Jep's message and the text, separated by U+001F.
 */
public final class JavaThrown extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * {@code javaMessage}: what Jep's {@code JepException} says after the Python type when this
     * reaches Java uncaught (the Java exception's {@code getLocalizedMessage()}, or its
     * {@code toString()} when that is null).
     */
    JavaThrown(String pythonType, String javaType, String text, String javaMessage, Throwable cause) {
        super(pythonType + '\u001f' + javaType + '\u001f' + javaMessage + '\u001f' + text, cause, false, false);
    }

    /** A Java exception a method Python called threw, as Jep maps it; Python's {@code str()} of it is Java's {@code toString()}. */
    static JavaThrown of(Throwable t) {
        String text = t.toString();
        String localized = t.getLocalizedMessage();
        return new JavaThrown(pythonType(t), t.getClass().getName(), text, localized == null ? text : localized, t);
    }

    /** A misuse from Python (no such method, arguments that fit no overload). */
    static JavaThrown python(String pythonType, String text) {
        return new JavaThrown(pythonType, "", text, text, null);
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
        return "RuntimeError"; // Jep's default for a Java exception no Python type stands for
    }
}
