package io.pyhost.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.util.Collections;
import java.util.List;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.osgi.service.log.LogEntry;
import org.osgi.service.log.LogLevel;
import org.osgi.service.log.LogReaderService;

import io.pyhost.api.PyContext;

/**
 * With an OSGi Log Service in the framework (Felix Log), Python's {@code logging} records and the
 * output of a context without a sink go there: logger {@code python.<name>} and
 * {@code python.output}, levels mapped, the traceback in the message, the context named; in
 * every mode, in real Felix.
 */
@RunWith(PaxExam.class)
public class PythonLoggingIT extends PyhostTestSupport {

    @Override
    protected List<String> moreBundles() {
        return List.of("org.apache.felix.log");
    }

    @Test
    public void loggingRecordsAndOutputReachTheOsgiLogService() {
        LogReaderService reader = service(LogReaderService.class);
        forEachMode(mode -> {
            try (PyContext context = create(mode)) {
                String tag = "it-" + mode + "-" + context.id();
                context.exec("import logging\n"
                        + "log = logging.getLogger('it.app')\n"
                        + "log.warning('careful %s', '" + tag + "')\n"
                        + "try:\n"
                        + "    {}['missing']\n"
                        + "except KeyError:\n"
                        + "    log.exception('failed " + tag + "')\n"
                        + "import sys\n"
                        + "print('printed " + tag + "', file=sys.stderr)");
                LogEntry warning = await(reader, "python.it.app", "careful " + tag);
                assertEquals(LogLevel.WARN, warning.getLogLevel());
                assertTrue(warning.getMessage(), warning.getMessage().contains("[context " + context.id() + " (" + mode + ")]"));
                LogEntry failed = await(reader, "python.it.app", "failed " + tag);
                assertEquals(LogLevel.ERROR, failed.getLogLevel());
                assertTrue(failed.getMessage(), failed.getMessage().contains("KeyError: 'missing'"));
                // stderr lines are WARN; stdout lines are INFO, below Felix Log's default level (WARN) unless configured
                LogEntry printed = await(reader, "python.output", "printed " + tag);
                assertEquals(LogLevel.WARN, printed.getLogLevel());
                assertTrue(printed.getMessage(), printed.getMessage().contains("[context " + context.id() + " (" + mode + ") stderr]"));
            }
        });
    }

    private static LogEntry await(LogReaderService reader, String logger, String text) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            for (LogEntry entry : Collections.list(reader.getLog())) {
                if (logger.equals(entry.getLoggerName()) && entry.getMessage().contains(text)) {
                    return entry;
                }
            }
            Thread.onSpinWait();
        }
        assertNotNull("no OSGi log entry of " + logger + " containing '" + text + "'", null);
        return null;
    }
}
