package io.pyhost.itests.karaf;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.apache.karaf.shell.api.console.Command;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.api.console.SessionFactory;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * Karaf's shell as a program sees it, since its console, ssh and bin/client cannot be used on
 * Java 24+. Only loaded when the optional import of Karaf's shell API is wired.
 */
final class KarafShell {
    private KarafShell() {
    }

    /** The names of the commands of {@code scope} in Karaf's command registry, sorted; "none" without Karaf's shell. */
    static String commands(BundleContext bundleContext, String scope) {
        ServiceReference<SessionFactory> reference = bundleContext.getServiceReference(SessionFactory.class);
        if (reference == null) {
            return "no SessionFactory";
        }
        try {
            return String.join(",", bundleContext.getService(reference).getRegistry().getCommands().stream()
                    .filter(c -> scope.equals(c.getScope())).map(Command::getName).sorted().toList());
        } finally {
            bundleContext.ungetService(reference);
        }
    }

    /** Runs {@code line} in a new headless Karaf shell session: {@code ok ...} with the value and output, or {@code failed ...} with the failure. */
    static String execute(BundleContext bundleContext, String line) {
        ServiceReference<SessionFactory> reference = bundleContext.getServiceReference(SessionFactory.class);
        if (reference == null) {
            return "failed: no SessionFactory";
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
                Session session = bundleContext.getService(reference).create(new ByteArrayInputStream(new byte[0]), o, e)) {
            Object value = session.execute(line);
            return "ok value=" + value + " out=" + out.toString(StandardCharsets.UTF_8).strip();
        } catch (Throwable failure) {
            Throwable root = failure;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            return "failed " + failure + (root != failure ? " caused by " + root : "")
                    + " err=" + err.toString(StandardCharsets.UTF_8).strip();
        } finally {
            bundleContext.ungetService(reference);
        }
    }
}
