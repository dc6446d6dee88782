package io.pyhost.itests.karaf;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;

import io.pyhost.api.ContextFactory;
import io.pyhost.api.PyContext;
import io.pyhost.api.PyException;
import io.pyhost.spi.InterpreterStrategy;

/**
 * Test probe inside Karaf: whenever the modes, the bundles providing them or the {@code py}
 * shell commands change, evaluates the configured expression in a new context of every mode and
 * replaces the report file. The test outside Karaf reads the file; nothing else talks to Karaf.
 *
 * <p>Report keys: {@code generation}, {@code modes}; per mode {@code M.provider}
 * ({@code bsn/version} of the strategy bundles), {@code M.result} or {@code M.error};
 * {@code scr.bundles}, {@code shell.functions} (the {@code osgi.command.function}s of scope {@code py}),
 * {@code karaf.shell.commands} and, when configured, {@code karaf.shell.execute} and {@code karaf.shell.control}.
 */
@Component(configurationPid = ProbeConfiguration.PID, configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true)
@Designate(ocd = ProbeConfiguration.class)
public final class ModeProbe {
    private static final System.Logger LOG = System.getLogger(ModeProbe.class.getName());
    private static final List<String> MODES = List.of(ContextFactory.WORKER, ContextFactory.SUBINTERP, ContextFactory.OWNGIL);
    private static final String SHELL_SCOPE = "py";
    /** A present mode that fails is tried again on the next polls, this often, before its error stands. */
    private static final int ATTEMPTS = 50;

    private final ContextFactory contexts;
    private final BundleContext bundleContext;
    private final ProbeConfiguration config;
    private final Path resultFile;
    private final ScheduledExecutorService poller;
    private final ExecutorService shell;

    // touched by the poller thread only
    private String reportedState = "";
    private int generation;
    private int attemptsLeft;

    @Activate
    public ModeProbe(@Reference ContextFactory contexts, BundleContext bundleContext, ProbeConfiguration config) {
        this.contexts = contexts;
        this.bundleContext = bundleContext;
        this.config = config;
        this.resultFile = Path.of(config.resultFile());
        this.poller = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "pyhost-karaf-probe"));
        this.shell = Executors.newSingleThreadExecutor(r -> daemon(r, "pyhost-karaf-probe-shell"));
        poller.scheduleWithFixedDelay(this::poll, 0, Math.max(10, config.pollMillis()), TimeUnit.MILLISECONDS);
    }

    @Deactivate
    void stop() throws InterruptedException {
        poller.shutdownNow();
        shell.shutdownNow();
        poller.awaitTermination(10, TimeUnit.SECONDS);
    }

    private void poll() {
        try {
            String state = state();
            if (state.equals(reportedState) && attemptsLeft == 0) {
                return;
            }
            if (!state.equals(reportedState)) {
                attemptsLeft = ATTEMPTS;
            }
            boolean presentModeFailed = false;
            Map<String, String> report = new TreeMap<>();
            report.put("generation", Integer.toString(++generation));
            report.put("modes", String.join(",", new TreeSet<>(contexts.modes())));
            for (String mode : MODES) {
                String providers = providers(mode);
                report.put(mode + ".provider", providers);
                try (PyContext context = contexts.create(mode)) {
                    report.put(mode + ".result", String.valueOf(context.eval(config.expression())));
                } catch (RuntimeException e) {
                    report.put(mode + ".error", describe(e));
                    presentModeFailed |= !providers.isEmpty();
                }
            }
            report.put("scr.bundles", scrBundles());
            report.put("shell.functions", shellFunctions());
            report.put("karaf.shell.commands", karafShell(() -> KarafShell.commands(bundleContext, SHELL_SCOPE)));
            if (!config.shellLine().isEmpty()) {
                report.put("karaf.shell.execute", karafShell(() -> KarafShell.execute(bundleContext, config.shellLine())));
            }
            if (!config.shellControlLine().isEmpty()) {
                report.put("karaf.shell.control", karafShell(() -> KarafShell.execute(bundleContext, config.shellControlLine())));
            }
            write(report);
            reportedState = state;
            attemptsLeft = presentModeFailed ? attemptsLeft - 1 : 0;
        } catch (Throwable t) {
            LOG.log(Level.ERROR, "pyhost Karaf probe failed to report to " + resultFile, t);
        }
    }

    /** What the report depends on: a change of it makes a new report. */
    private String state() throws InvalidSyntaxException {
        List<String> parts = new ArrayList<>();
        parts.add(new TreeSet<>(contexts.modes()).toString());
        for (String mode : MODES) {
            parts.add(mode + "=" + providers(mode));
        }
        parts.add(scrBundles());
        parts.add(shellFunctions());
        parts.add(karafShell(() -> KarafShell.commands(bundleContext, SHELL_SCOPE)));
        return String.join(";", parts);
    }

    private String providers(String mode) throws InvalidSyntaxException {
        List<String> providers = new ArrayList<>();
        for (ServiceReference<InterpreterStrategy> reference : bundleContext.getServiceReferences(InterpreterStrategy.class,
                "(" + InterpreterStrategy.MODE + "=" + mode + ")")) {
            Bundle bundle = reference.getBundle();
            if (bundle != null) {
                providers.add(bundle.getSymbolicName() + "/" + bundle.getVersion());
            }
        }
        providers.sort(null);
        return String.join(",", providers);
    }

    /** Every Felix SCR bundle installed, with its state: there must be exactly one, active. */
    private String scrBundles() {
        List<String> scr = new ArrayList<>();
        for (Bundle bundle : bundleContext.getBundles()) {
            if ("org.apache.felix.scr".equals(bundle.getSymbolicName())) {
                scr.add(bundle.getSymbolicName() + "/" + bundle.getVersion() + (bundle.getState() == Bundle.ACTIVE ? "" : " state " + bundle.getState()));
            }
        }
        scr.sort(null);
        return String.join(",", scr);
    }

    private String shellFunctions() throws InvalidSyntaxException {
        TreeSet<String> functions = new TreeSet<>();
        ServiceReference<?>[] references = bundleContext.getServiceReferences((String) null, "(osgi.command.scope=" + SHELL_SCOPE + ")");
        for (ServiceReference<?> reference : references == null ? new ServiceReference<?>[0] : references) {
            Object names = reference.getProperty("osgi.command.function");
            if (names instanceof String[] array) {
                functions.addAll(Arrays.asList(array));
            } else if (names != null) {
                functions.add(names.toString());
            }
        }
        return String.join(",", functions);
    }

    /** Runs a look at Karaf's shell on its own thread, bounded, so a stuck shell cannot stop the reports. */
    private String karafShell(Callable<String> look) {
        Future<String> result = shell.submit(() -> {
            try {
                return look.call();
            } catch (NoClassDefFoundError e) {
                return "no Karaf shell API";
            }
        });
        try {
            return result.get(10, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            result.cancel(true);
            return "failed: no answer in 10 s";
        } catch (ExecutionException e) {
            return "failed " + e.getCause();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "failed: interrupted";
        }
    }

    private static String describe(RuntimeException e) {
        if (e instanceof PyException py) {
            return "PyException " + py.pythonType() + ": " + py.pythonMessage();
        }
        return e.getClass().getName() + ": " + e.getMessage();
    }

    private void write(Map<String, String> report) throws IOException {
        Properties properties = new Properties();
        properties.putAll(report);
        Path temporary = resultFile.resolveSibling(resultFile.getFileName() + ".tmp");
        try (OutputStream out = Files.newOutputStream(temporary)) {
            properties.store(out, "pyhost Karaf probe");
        }
        Files.move(temporary, resultFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static Thread daemon(Runnable task, String name) {
        Thread thread = new Thread(task, name);
        thread.setDaemon(true);
        return thread;
    }
}
