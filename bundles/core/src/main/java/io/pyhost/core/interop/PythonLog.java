package io.pyhost.core.interop;

import java.lang.System.Logger.Level;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * Where Python's output lines (of contexts without a sink) and {@code logging} records go: the
 * OSGi Log Service ({@code org.osgi.service.log.LoggerFactory}) when core's framework has one,
 * else {@link System.Logger}. Logger names are {@code python.<logger name>} for records and
 * {@code python.output} for output lines; every message starts with the context it came from
 * ({@code [context 12 (worker)]}) and each is one record, so contexts' lines never interleave.
 */
public final class PythonLog {
    private static volatile BundleContext framework;

    private PythonLog() {
    }

    /** Core's bundle context, to find the OSGi Log Service (null: System.Logger only). */
    public static void bind(BundleContext context) {
        framework = context;
    }

    /** A line a context printed, with no sink of its own. */
    public static void output(String host, boolean error, String line) {
        write("python.output", error ? 30 : 20, "[" + host + (error ? " stderr] " : " stdout] ") + line, "");
    }

    /** A {@code logging} record: Python's level number, message, traceback text ("" for none) and origin (path:line). */
    public static void record(String host, String logger, int level, String message, String traceback, String origin) {
        write("python." + logger, level, "[" + host + "] " + message + (origin.isEmpty() ? "" : " (" + origin + ")"), traceback);
    }

    private static void write(String name, int pythonLevel, String message, String traceback) {
        String text = traceback.isEmpty() ? message : message + "\n" + traceback.stripTrailing();
        BundleContext bc = framework;
        if (bc != null && OsgiLog.write(bc, name, pythonLevel, text)) {
            return;
        }
        System.getLogger(name).log(level(pythonLevel), text);
    }

    /** Python's numeric level (DEBUG 10, INFO 20, WARNING 30, ERROR 40, CRITICAL 50) as a System.Logger level. */
    static Level level(int pythonLevel) {
        return pythonLevel >= 40 ? Level.ERROR : pythonLevel >= 30 ? Level.WARNING : pythonLevel >= 20 ? Level.INFO
                : pythonLevel >= 10 ? Level.DEBUG : Level.TRACE;
    }

    /** The OSGi Log Service side; its classes are touched only when the optional import is wired. */
    private static final class OsgiLog {
        private static final boolean WIRED = wired();

        private static boolean wired() {
            try {
                Class.forName("org.osgi.service.log.LoggerFactory", false, PythonLog.class.getClassLoader());
                return true;
            } catch (ClassNotFoundException | LinkageError e) {
                return false;
            }
        }

        static boolean write(BundleContext bc, String name, int pythonLevel, String text) {
            if (!WIRED) {
                return false;
            }
            try {
                ServiceReference<org.osgi.service.log.LoggerFactory> ref = bc.getServiceReference(org.osgi.service.log.LoggerFactory.class);
                org.osgi.service.log.LoggerFactory factory = ref == null ? null : bc.getService(ref);
                if (factory == null) {
                    return false;
                }
                try {
                    org.osgi.service.log.Logger logger = factory.getLogger(name);
                    if (pythonLevel >= 40) {
                        logger.error(text);
                    } else if (pythonLevel >= 30) {
                        logger.warn(text);
                    } else if (pythonLevel >= 20) {
                        logger.info(text);
                    } else if (pythonLevel >= 10) {
                        logger.debug(text);
                    } else {
                        logger.trace(text);
                    }
                    return true;
                } finally {
                    bc.ungetService(ref);
                }
            } catch (RuntimeException | LinkageError e) {
                return false; // the framework is stopping, or the log service left: System.Logger
            }
        }
    }
}
