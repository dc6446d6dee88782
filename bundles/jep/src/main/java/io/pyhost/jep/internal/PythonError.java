package io.pyhost.jep.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.pyhost.api.PyException;
import jep.JepException;

/**
 * A Python exception as Jep reports it: message {@code "<class 'ValueError'>: text"} (text: Python's
 * {@code str(args[0])}, for a Java exception its message, as Jep words it), the Python
 * frames (innermost first) ahead of the Java ones in the stack trace, and the Java exception
 * behind it (one a Java method Python called threw) as the cause.
 */
public final class PythonError extends JepException {
    private static final long serialVersionUID = 1L;
    private static final Pattern FRAME = Pattern.compile("^\\s*File \"([^\"]*)\", line (\\d+), in (.*)$");

    private final String pythonType;
    private final String pythonTraceback;

    private PythonError(String message, Throwable cause, String pythonType, String pythonTraceback) {
        super(message, cause);
        this.pythonType = pythonType;
        this.pythonTraceback = pythonTraceback;
    }

    /** The Python exception's class, as {@code str()} names it: {@code ValueError}, {@code mymod.MyError}. */
    public String pythonType() {
        return pythonType;
    }

    /** The traceback text CPython prints. */
    public String pythonTraceback() {
        return pythonTraceback;
    }

    /**
     * {@code e} as Jep's exception; {@code javaCause}: the Java exception behind it, if known;
     * {@code text}: Jep's wording after the type (null: Python's {@code str()} of the exception).
     */
    static PythonError of(PyException e, Throwable javaCause, String text) {
        String type = e.pythonQualifiedType();
        if (type.startsWith("builtins.")) {
            type = type.substring("builtins.".length());
        }
        Throwable cause = e.getCause() != null ? e.getCause() : javaCause;
        PythonError error = new PythonError("<class '" + type + "'>: " + (text != null ? text : e.pythonMessage()), cause, type, e.pythonTraceback());
        List<StackTraceElement> frames = new ArrayList<>();
        for (String line : e.pythonTraceback().split("\n")) {
            Matcher m = FRAME.matcher(line);
            if (m.matches() && !m.group(1).equals("<pyhost-jep>")) {
                String file = m.group(1);
                String name = file.substring(file.lastIndexOf('/') + 1);
                String module = name.endsWith(".py") ? name.substring(0, name.length() - 3) : name;
                frames.add(0, new StackTraceElement(module, m.group(3), name, Integer.parseInt(m.group(2))));
            }
        }
        frames.addAll(List.of(error.getStackTrace()));
        error.setStackTrace(frames.toArray(StackTraceElement[]::new));
        if (e.getCause() == null && javaCause == null) {
            error.addSuppressed(e); // pyhost's own view (its kind: timeout, interrupt)
        }
        return error;
    }
}
