package io.pyhost.api;

/**
 * A Python exception raised in a context, carried to Java with its type, message and the full
 * traceback text CPython would print.
 */
public class PyException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Who ended the call: Python itself, or pyhost (so that callers need not read messages). */
    public enum Kind {
        /** The Python code raised the exception. */
        GUEST,
        /** pyhost stopped the call at its timeout ({@code TimeoutError}). */
        TIMEOUT,
        /** pyhost interrupted the call: {@link PyContext#interrupt()} or close ({@code KeyboardInterrupt}). */
        INTERRUPTED,
        /** pyhost stopped the call at the context's memory limit ({@code MemoryError}). */
        RESOURCE_EXHAUSTED
    }

    private final Kind kind;

    private final String pythonType;
    private final String pythonQualifiedType;
    private final String pythonMessage;
    private final String pythonTraceback;

    /**
     * @param pythonQualifiedType the exception class with its module ({@code builtins.ValueError},
     *                            {@code mymod.MyError})
     * @param pythonMessage       {@code str(exception)}
     * @param pythonTraceback     the text {@code traceback.format_exception} gives, or empty
     */
    public PyException(String pythonQualifiedType, String pythonMessage, String pythonTraceback) {
        this(pythonQualifiedType, pythonMessage, pythonTraceback, null);
    }

    /**
     * @param where where the exception came from, appended to {@link #getMessage()} in
     *              parentheses (e.g. the exception's notes: {@code in preload fragment ...}); may be null
     */
    public PyException(String pythonQualifiedType, String pythonMessage, String pythonTraceback, String where) {
        this(pythonQualifiedType, pythonMessage, pythonTraceback, where, Kind.GUEST);
    }

    /**
     * @param kind who ended the call (see {@link Kind})
     */
    public PyException(String pythonQualifiedType, String pythonMessage, String pythonTraceback, String where, Kind kind) {
        super(simpleName(pythonQualifiedType) + (pythonMessage == null || pythonMessage.isEmpty() ? "" : ": " + pythonMessage)
                + (where == null || where.isEmpty() ? "" : " (" + where + ")"));
        this.pythonQualifiedType = pythonQualifiedType;
        this.pythonType = simpleName(pythonQualifiedType);
        this.pythonMessage = pythonMessage == null ? "" : pythonMessage;
        this.pythonTraceback = pythonTraceback == null ? "" : pythonTraceback;
        this.kind = kind == null ? Kind.GUEST : kind;
    }

    /** Who ended the call. */
    public Kind kind() {
        return kind;
    }

    /** Whether the Python code itself raised this (not pyhost's timeout, interrupt or memory limit). */
    public boolean isGuestException() {
        return kind == Kind.GUEST;
    }

    /** Whether pyhost stopped the call at its timeout. */
    public boolean isTimeout() {
        return kind == Kind.TIMEOUT;
    }

    /** Whether pyhost interrupted the call ({@link PyContext#interrupt()}, close). */
    public boolean isInterrupted() {
        return kind == Kind.INTERRUPTED;
    }

    /** Whether pyhost stopped the call at its context's memory limit. */
    public boolean isResourceExhausted() {
        return kind == Kind.RESOURCE_EXHAUSTED;
    }

    private static String simpleName(String qualified) {
        int dot = qualified.lastIndexOf('.');
        return dot < 0 ? qualified : qualified.substring(dot + 1);
    }

    /** The exception class's simple name: {@code ValueError}, {@code MyError}. */
    public String pythonType() {
        return pythonType;
    }

    /** The exception class with its module: {@code builtins.ValueError}, {@code mymod.MyError}. */
    public String pythonQualifiedType() {
        return pythonQualifiedType;
    }

    /** {@code str(exception)}. */
    public String pythonMessage() {
        return pythonMessage;
    }

    /** The full traceback text, as CPython would print it. */
    public String pythonTraceback() {
        return pythonTraceback;
    }
}
