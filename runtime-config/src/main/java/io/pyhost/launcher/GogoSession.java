package io.pyhost.launcher;

import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * A Gogo session opened from outside the framework. The launcher sits on the class path, where
 * Gogo's API ({@code org.apache.felix.service.command}) is not visible: it lives in the Gogo
 * runtime bundle. So this class reaches {@code CommandProcessor} and {@code CommandSession}
 * through the interfaces loaded by that bundle, with reflection; the calls are few and coarse.
 */
final class GogoSession implements AutoCloseable {
    static final String PROCESSOR = "org.apache.felix.service.command.CommandProcessor";
    private static final String SESSION = "org.apache.felix.service.command.CommandSession";

    private final BundleContext context;
    private final ServiceReference<?> reference;
    private final Object session;
    private final Method execute;
    private final Method put;
    private final Method get;
    private final Method format;
    private final Method close;

    /** Opens a session of the CommandProcessor {@code reference} on the given streams. */
    GogoSession(BundleContext context, ServiceReference<?> reference, InputStream in, OutputStream out, OutputStream err)
            throws ReflectiveOperationException {
        this.context = context;
        this.reference = reference;
        Object processor = context.getService(reference);
        if (processor == null) {
            throw new IllegalStateException("the Gogo CommandProcessor service went away");
        }
        Class<?> processorType = reference.getBundle().loadClass(PROCESSOR);
        Class<?> sessionType = reference.getBundle().loadClass(SESSION);
        this.session = processorType.getMethod("createSession", InputStream.class, OutputStream.class, OutputStream.class)
                .invoke(processor, in, out, err);
        this.execute = sessionType.getMethod("execute", CharSequence.class);
        this.put = sessionType.getMethod("put", String.class, Object.class);
        this.get = sessionType.getMethod("get", String.class);
        this.format = sessionType.getMethod("format", Object.class, int.class);
        this.close = sessionType.getMethod("close");
    }

    void put(String name, Object value) throws ReflectiveOperationException {
        put.invoke(session, name, value);
    }

    Object get(String name) throws ReflectiveOperationException {
        return get.invoke(session, name);
    }

    /**
     * Runs a command line; returns its value.
     *
     * @throws Exception what the command threw (unwrapped)
     */
    Object execute(String line) throws Exception {
        try {
            return execute.invoke(session, line);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    /** How Gogo would print {@code value} at a prompt (level INSPECT). */
    String format(Object value) throws ReflectiveOperationException {
        return String.valueOf(format.invoke(session, value, 0));
    }

    @Override
    public void close() {
        try {
            close.invoke(session);
        } catch (ReflectiveOperationException | RuntimeException ignored) {
            // the framework is stopping; the session dies with it
        }
        try {
            context.ungetService(reference);
        } catch (RuntimeException ignored) {
            // same
        }
    }
}
