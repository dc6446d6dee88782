package io.pyhost.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import org.junit.After;
import org.junit.Before;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

import io.pyhost.api.ContextFactory;
import io.pyhost.api.PyContext;
import io.pyhost.itests.api.Blocker;
import io.pyhost.itests.api.Calculator;
import io.pyhost.itests.api.Greeter;

/**
 * What the interop tests share on top of {@link PyhostTestSupport}: the bundle
 * {@code pyhost-itests-api} (module itests-api: the interfaces {@link Calculator}, {@link Greeter},
 * {@link Blocker} in the exported package {@code io.pyhost.itests.api}) provisioned before the
 * probe, so that the probe's classes and pyhost core both load those interfaces from it; services
 * registered by a test and unregistered after it; bare "provider" bundles a test can stop while
 * their services are in use; core's {@code exportFilter} set through ConfigAdmin and put back.
 */
public abstract class InteropTestSupport extends PyhostTestSupport {

    static final String CALCULATOR = Calculator.class.getName();
    static final String GREETER = Greeter.class.getName();
    static final String BLOCKER = Blocker.class.getName();

    /** Core's configuration PID and the key of the LDAP filter that exports services to Python. */
    static final String CORE_PID = "io.pyhost.core";
    static final String EXPORT_FILTER = "exportFilter";

    private static final AtomicInteger PROVIDERS = new AtomicInteger();

    private final List<ServiceRegistration<?>> registrations = new ArrayList<>();
    private final List<Bundle> providers = new ArrayList<>();
    private boolean exportFilterChanged;
    private Dictionary<String, Object> coreConfigBefore;
    private Object factoryFilterBefore; // "" without configuration: the default of CoreConfiguration.exportFilter

    @Override
    protected List<String> moreBundles() {
        return List.of("pyhost-itests-api");
    }

    @Before
    public final void checkApiWiring() {
        // the probe must see the API bundle's interfaces, not copies of its own (they are not in test-classes)
        Bundle from = org.osgi.framework.FrameworkUtil.getBundle(Calculator.class);
        assertTrue("io.pyhost.itests.api must come from the bundle pyhost-itests-api, not from " + from,
                from != null && "io.pyhost.itests.api".equals(from.getSymbolicName()));
    }

    @After
    public final void cleanUpInterop() throws Exception {
        List<Throwable> failures = new ArrayList<>();
        for (ServiceRegistration<?> r : registrations) {
            try {
                r.unregister();
            } catch (IllegalStateException already) {
                // the test unregistered it, or its bundle stopped
            }
        }
        registrations.clear();
        for (Bundle b : providers.reversed()) {
            try {
                if (b.getState() != Bundle.UNINSTALLED) {
                    b.uninstall();
                }
            } catch (BundleException | RuntimeException e) {
                failures.add(e);
            }
        }
        providers.clear();
        if (exportFilterChanged) {
            restoreCoreConfig();
        }
        if (!failures.isEmpty()) {
            AssertionError error = new AssertionError("clean-up failed: " + failures);
            failures.forEach(error::addSuppressed);
            throw error;
        }
    }

    // ------------------------------------------------------------------ Java services

    /** Service properties from key/value pairs. */
    static Dictionary<String, Object> props(Object... keysAndValues) {
        Hashtable<String, Object> out = new Hashtable<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            out.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return out;
    }

    /** Registers {@code service} from the probe; unregistered after the test (and after each mode, by the caller). */
    protected final <T> ServiceRegistration<T> register(Class<T> type, T service, Dictionary<String, Object> properties) {
        return register(bundleContext, type, service, properties);
    }

    protected final <T> ServiceRegistration<T> register(BundleContext from, Class<T> type, T service, Dictionary<String, Object> properties) {
        ServiceRegistration<T> registration = from.registerService(type, service, properties);
        registrations.add(registration);
        return registration;
    }

    /** Unregisters {@code registration} unless it is gone already. */
    static void unregisterQuietly(ServiceRegistration<?> registration) {
        try {
            registration.unregister();
        } catch (IllegalStateException already) {
            // gone
        }
    }

    /**
     * A started bundle with nothing but a manifest: it lends its {@link BundleContext} to register
     * services that leave when the test stops it. Uninstalled after the test.
     */
    protected final Bundle startProvider() throws BundleException {
        int n = PROVIDERS.incrementAndGet();
        Manifest manifest = new Manifest();
        Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        main.putValue("Bundle-ManifestVersion", "2");
        main.putValue("Bundle-SymbolicName", "io.pyhost.itests.provider" + n);
        main.putValue("Bundle-Version", "1.0.0");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(bytes, manifest)) {
            // a manifest is all it needs
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Bundle bundle = bundleContext.installBundle("pyhost-it:provider#" + n, new ByteArrayInputStream(bytes.toByteArray()));
        providers.add(bundle);
        bundle.start();
        assertEquals(Bundle.ACTIVE, bundle.getState());
        return bundle;
    }

    /** The references of {@code type} whose {@code key} property is {@code value} (any registering bundle). */
    protected final <T> List<ServiceReference<T>> references(Class<T> type, String key, String value) {
        try {
            return List.copyOf(bundleContext.getServiceReferences(type, "(" + key + "=" + value + ")"));
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new IllegalArgumentException(e);
        }
    }

    // ------------------------------------------------------------------ core's exportFilter

    /**
     * Sets {@code exportFilter} in core's configuration (ConfigAdmin, PID io.pyhost.core) and waits
     * until core's ContextFactory runs with it (DS puts the configuration on its service properties
     * after {@code @Modified} ran). Put back after the test.
     */
    protected final void setExportFilter(String filter) throws IOException {
        Configuration config = service(ConfigurationAdmin.class).getConfiguration(CORE_PID, null);
        if (!exportFilterChanged) {
            coreConfigBefore = config.getProperties();
            ServiceReference<ContextFactory> ref = bundleContext.getServiceReference(ContextFactory.class);
            factoryFilterBefore = ref == null ? null : ref.getProperty(EXPORT_FILTER);
            exportFilterChanged = true;
        }
        Dictionary<String, Object> properties = config.getProperties() == null ? new Hashtable<>() : config.getProperties();
        properties.put(EXPORT_FILTER, filter);
        config.update(properties);
        awaitFactoryExportFilter(filter);
    }

    /** Puts core's configuration back as it was before the test changed it (also done after each test). */
    protected final void restoreCoreConfig() throws IOException {
        if (!exportFilterChanged) {
            return;
        }
        exportFilterChanged = false;
        Configuration config = service(ConfigurationAdmin.class).getConfiguration(CORE_PID, null);
        Dictionary<String, Object> before = coreConfigBefore;
        coreConfigBefore = null;
        if (before == null) {
            config.delete();
        } else {
            config.update(before);
        }
        awaitFactoryExportFilter(factoryFilterBefore);
    }

    private void awaitFactoryExportFilter(Object filter) {
        awaitCondition(() -> "core's ContextFactory to run with " + EXPORT_FILTER + "=" + filter, () -> {
            ServiceReference<ContextFactory> ref = bundleContext.getServiceReference(ContextFactory.class);
            return ref != null && Objects.equals(filter, ref.getProperty(EXPORT_FILTER));
        });
    }

    // ------------------------------------------------------------------ Python

    /**
     * Python statements that run {@code statement} and keep what it raised: {@code caught} is
     * {@code [type name, str(exception)]}, or None when nothing was raised.
     */
    static String catching(String statement) {
        return "try:\n    " + statement.replace("\n", "\n    ") + "\n    caught = None\n"
                + "except BaseException as _e:\n    caught = [type(_e).__name__, str(_e)]\n";
    }

    /** Runs {@link #catching} in {@code ctx} and returns {@code caught}. */
    static List<?> caught(PyContext ctx, String statement) {
        ctx.exec(catching(statement));
        Object caught = ctx.eval("caught");
        assertTrue("expected an exception from: " + statement, caught instanceof List<?>);
        return (List<?>) caught;
    }

    /** Asserts that {@code statement} raised {@code type} with a message containing every one of {@code parts}. */
    static void assertRaises(String mode, PyContext ctx, String type, String statement, String... parts) {
        List<?> caught = caught(ctx, statement);
        assertEquals(mode + ": " + statement + " raised " + caught, type, caught.get(0));
        for (String part : parts) {
            assertTrue(mode + ": " + statement + " raised " + caught + ", expected a message containing '" + part + "'",
                    String.valueOf(caught.get(1)).contains(part));
        }
    }
}
