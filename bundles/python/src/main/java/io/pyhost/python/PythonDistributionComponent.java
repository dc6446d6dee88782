package io.pyhost.python;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.Hashtable;
import java.util.concurrent.TimeUnit;

import org.osgi.annotation.bundle.Capability;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;

import io.pyhost.spi.PythonDistribution;

/**
 * Publishes the {@link PythonDistribution} that core loads: the CPython 3.14 nested in this
 * bundle, unpacked once per machine by {@link DistributionCache}, or the system Python that PID
 * {@value #PID} configures ({@code home} and {@code library} both set; then nothing is unpacked).
 *
 * <p>The service carries {@value PythonDistribution#SOURCE} = {@code embedded} or
 * {@code configured}, and {@value #VERSION_PROPERTY} = the version. Because the source depends on
 * the configuration, this component registers the service itself instead of declaring it: DS
 * service properties cannot be computed at activation. The service appears only once the
 * distribution is ready, so whoever sees it can load it.
 *
 * <p>Cost: activation runs on SCR's thread. The first start on a machine unpacks (one to two
 * seconds); every later start, a fresh framework included, takes a few milliseconds, because the
 * nested jar's checksum was computed by the build and a complete tree is recognized by its
 * marker. A configuration change deactivates and reactivates the component, replacing the
 * service.
 */
@Component(configurationPid = PythonDistributionComponent.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL,
        immediate = true, service = {})
@Designate(ocd = PythonDistributionConfiguration.class)
@Capability(namespace = "osgi.service", attribute = "objectClass:List<String>=\"io.pyhost.spi.PythonDistribution\"",
        uses = PythonDistribution.class)
public class PythonDistributionComponent {
    /** The configuration PID. */
    public static final String PID = "io.pyhost.python";
    /** Service property: the distribution's version, e.g. {@code 3.14.3}. */
    public static final String VERSION_PROPERTY = "pyhost.python.version";

    private static final System.Logger LOG = System.getLogger(PythonDistributionComponent.class.getName());

    private final ServiceRegistration<PythonDistribution> registration;

    @Activate
    public PythonDistributionComponent(BundleContext context, PythonDistributionConfiguration config) throws IOException {
        long started = System.nanoTime();
        RegisteredDistribution distribution;
        if (ConfiguredPython.isRequested(config.home(), config.library())) {
            PythonInstallation configured = ConfiguredPython.resolve(config.home(), config.library(), config.version());
            distribution = new RegisteredDistribution(configured, PythonDistribution.SOURCE_CONFIGURED);
            LOG.log(Level.INFO, "Using the configured Python {0}: home {1}, library {2}",
                    configured.version(), configured.home(), configured.library());
        } else {
            Path cacheRoot = config.cacheDir().isBlank() ? DistributionCache.defaultRoot() : Path.of(config.cacheDir().trim());
            DistributionCache.Outcome outcome = new DistributionCache(cacheRoot).installEmbedded();
            distribution = new RegisteredDistribution(outcome.installation(), PythonDistribution.SOURCE_EMBEDDED);
            LOG.log(Level.INFO, "Using the embedded CPython {0} at {1} ({2}; {3} ms)",
                    distribution.version(), distribution.home(), outcome.unpackedNow() ? "unpacked now" : "unpacked before",
                    String.valueOf(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)));
        }
        Hashtable<String, Object> properties = new Hashtable<>();
        properties.put(PythonDistribution.SOURCE, distribution.source());
        properties.put(VERSION_PROPERTY, distribution.version());
        properties.put(Constants.SERVICE_DESCRIPTION, "CPython " + distribution.version() + " (" + distribution.source() + ")");
        registration = context.registerService(PythonDistribution.class, distribution, properties);
    }

    @Deactivate
    void deactivate() {
        try {
            registration.unregister();
        } catch (IllegalStateException alreadyGone) {
            // the framework unregisters a stopping bundle's services itself
        }
    }
}
