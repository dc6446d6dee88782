package jep;

/**
 * An error from Python or from Jep's API. For a Python exception the message is Jep's
 * {@code "<class 'ValueError'>: message"} (the exception's class as {@code str()} prints it, then
 * its text), the stack trace starts with the Python frames, and a Java exception Python did not
 * catch is the cause.
 */
public class JepException extends RuntimeException {
    private static final long serialVersionUID = -2996693475034296340L;

    /** Jep keeps the address of the Python type here; pyhost has no such address: always 0. */
    private final long pythonType;

    public JepException() {
        this.pythonType = 0;
    }

    public JepException(String message) {
        super(message);
        this.pythonType = 0;
    }

    public JepException(Throwable cause) {
        super(cause);
        this.pythonType = 0;
    }

    public JepException(String message, Throwable cause) {
        super(message, cause);
        this.pythonType = 0;
    }

    protected JepException(String message, long pythonType) {
        super(message);
        this.pythonType = pythonType;
    }

    /**
     * In Jep the address of the Python exception type. pyhost-jep has no native addresses: 0. The
     * Python type is the start of {@link #getMessage()}.
     */
    protected long getPythonType() {
        return pythonType;
    }
}
