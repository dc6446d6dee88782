package io.pyhost.core;

import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.List;

import org.osgi.annotation.bundle.Capability;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.util.tracker.BundleTracker;
import org.osgi.util.tracker.BundleTrackerCustomizer;
import org.osgi.util.tracker.ServiceTracker;
import org.osgi.util.tracker.ServiceTrackerCustomizer;

import io.pyhost.api.RequirePreloadExtender;
import io.pyhost.spi.PythonPackage;

/**
 * The {@code io.pyhost.preload} extender: turns the {@code Python-Preload}, {@code Python-Path}
 * and {@code Python-Import} headers of every started bundle into a preload contribution, and
 * withdraws it when the bundle stops. {@code Python-Path} directories are extracted under
 * core's data area ({@code python-path/<bundle id>/...}) and deleted when the bundle goes.
 * Problems are logged with the bundle's name and entry and never affect other bundles.
 *
 * <p>Package bundles whose files must be unpacked and loaded by code of their own (native
 * libraries) register a {@link PythonPackage} service instead; its directories are contributed
 * while it is registered. Contributions are ordered by {@link PackageDepth} (the
 * {@code python.package} wiring), then by bundle id: a package's directories come before those
 * of the bundles that require it.
 */
@Component(immediate = true)
@Capability(namespace = "osgi.extender", name = RequirePreloadExtender.NAME, version = RequirePreloadExtender.VERSION)
public final class PreloadExtender {
    private static final Logger LOG = System.getLogger(PreloadExtender.class.getName());

    private final PreloadRegistry registry;
    private final Path extractRoot;
    private final BundleTracker<String> tracker;
    private final ServiceTracker<PythonPackage, String> packages;

    @Activate
    public PreloadExtender(BundleContext context, @Reference PreloadRegistry registry) throws IOException {
        this.registry = registry;
        java.io.File data = context.getDataFile("python-path");
        this.extractRoot = data != null ? data.toPath() : Files.createTempDirectory("pyhost-python-path");
        this.tracker = new BundleTracker<>(context, Bundle.STARTING | Bundle.ACTIVE, new BundleTrackerCustomizer<>() {
            @Override
            public String addingBundle(Bundle bundle, BundleEvent event) {
                return contribute(bundle);
            }

            @Override
            public void modifiedBundle(Bundle bundle, BundleEvent event, String owner) {
            }

            @Override
            public void removedBundle(Bundle bundle, BundleEvent event, String owner) {
                withdraw(bundle, owner);
            }
        });
        tracker.open();
        this.packages = new ServiceTracker<>(context, PythonPackage.class, new ServiceTrackerCustomizer<>() {
            @Override
            public String addingService(ServiceReference<PythonPackage> reference) {
                return contributePackage(context, reference);
            }

            @Override
            public void modifiedService(ServiceReference<PythonPackage> reference, String owner) {
            }

            @Override
            public void removedService(ServiceReference<PythonPackage> reference, String owner) {
                registry.withdraw(owner);
                context.ungetService(reference);
                LOG.log(Level.INFO, "pyhost preload: python.package {0} withdrew its paths", reference.getProperty(PythonPackage.NAMESPACE));
            }
        });
        packages.open();
    }

    @Deactivate
    void deactivate() {
        packages.close();
        tracker.close();
    }

    /** Tracks a bundle with Python headers that contributed nothing valid. */
    private static final String NOTHING = "nothing";

    /**
     * Contributions are kept by owner, in the owners' order: by python.package depth (a package
     * before the bundles that require it), then bundle-install order (zero-padded ids).
     */
    private static String owner(Bundle bundle) {
        return String.format("bundle:%04d:%019d", PackageDepth.of(bundle), bundle.getBundleId());
    }

    /** A package service's directories, owned by its bundle (after that bundle's own headers). */
    private String contributePackage(BundleContext context, ServiceReference<PythonPackage> reference) {
        Bundle bundle = reference.getBundle();
        PythonPackage pkg = bundle == null ? null : context.getService(reference);
        if (pkg == null) {
            return null; // gone already, or its component failed to activate (SCR logged why)
        }
        List<String> paths = new ArrayList<>();
        for (Path dir : pkg.paths()) {
            if (Files.isDirectory(dir)) {
                paths.add(dir.toString());
            } else {
                LOG.log(Level.WARNING, "pyhost preload: " + bundle.getSymbolicName() + "/" + bundle.getVersion()
                        + ": python.package path " + dir + " is not a directory; ignored");
            }
        }
        String owner = owner(bundle) + "/package";
        registry.contribute(owner, new PreloadRegistry.Contribution(List.of(), paths, List.of()));
        LOG.log(Level.INFO, "pyhost preload: {0}/{1} contributes python.package {2} ({3})", bundle.getSymbolicName(),
                bundle.getVersion(), reference.getProperty(PythonPackage.NAMESPACE), String.join(", ", paths));
        return owner;
    }

    private String contribute(Bundle bundle) {
        var headers = bundle.getHeaders("");
        if (!PluginHeaders.present(headers::get)) {
            return null;
        }
        PluginHeaders.Parsed parsed = PluginHeaders.parse(bundle.getSymbolicName(), bundle.getVersion(), headers::get,
                path -> read(bundle, path));
        parsed.problems().forEach(problem -> LOG.log(Level.WARNING, "pyhost preload: " + problem));
        List<String> paths = new ArrayList<>();
        Path bundleDir = extractRoot.resolve(Long.toString(bundle.getBundleId()));
        for (String dir : parsed.pathDirs()) {
            try {
                paths.add(extract(bundle, dir, bundleDir).toString());
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.WARNING, "pyhost preload: " + bundle.getSymbolicName() + "/" + bundle.getVersion() + ": "
                        + PluginHeaders.PATH + " " + dir + " cannot be extracted (" + e + "); ignored");
            }
        }
        if (parsed.fragments().isEmpty() && paths.isEmpty() && parsed.imports().isEmpty()) {
            delete(bundleDir);
            // still tracked (not null): otherwise the tracker offers the bundle again at STARTED
            // and its problems are parsed and logged twice
            return NOTHING;
        }
        registry.contribute(owner(bundle), new PreloadRegistry.Contribution(parsed.fragments(), paths, parsed.imports()));
        LOG.log(Level.INFO, "pyhost preload: {0}/{1} contributes {2} fragment(s), {3} path(s), {4} import(s)",
                bundle.getSymbolicName(), bundle.getVersion(), parsed.fragments().size(), paths.size(), parsed.imports().size());
        return owner(bundle);
    }

    private void withdraw(Bundle bundle, String owner) {
        if (owner.equals(NOTHING)) {
            return;
        }
        registry.withdraw(owner);
        delete(extractRoot.resolve(Long.toString(bundle.getBundleId())));
        LOG.log(Level.INFO, "pyhost preload: {0}/{1} withdrew its contribution", bundle.getSymbolicName(), bundle.getVersion());
    }

    private static byte[] read(Bundle bundle, String path) throws IOException {
        URL url = bundle.getEntry(path);
        if (url == null) {
            return null;
        }
        try (InputStream in = url.openStream()) {
            return in.readAllBytes();
        }
    }

    /** Copies the bundle directory {@code dir} (recursively) to {@code bundleDir/dir}. */
    private static Path extract(Bundle bundle, String dir, Path bundleDir) throws IOException {
        Path target = bundleDir.resolve(dir).normalize();
        if (!target.startsWith(bundleDir)) {
            throw new IOException("path leaves the extraction directory");
        }
        if (bundle.getEntry(dir + "/") == null && bundle.getEntry(dir) == null) {
            throw new IOException("no such directory in the bundle");
        }
        Files.createDirectories(target);
        Enumeration<URL> entries = bundle.findEntries(dir, "*", true);
        while (entries != null && entries.hasMoreElements()) {
            URL url = entries.nextElement();
            String path = url.getPath().startsWith("/") ? url.getPath().substring(1) : url.getPath();
            Path file = bundleDir.resolve(path).normalize();
            if (!file.startsWith(target)) {
                continue;
            }
            if (path.endsWith("/")) {
                Files.createDirectories(file);
            } else {
                Files.createDirectories(file.getParent());
                try (InputStream in = url.openStream()) {
                    Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        return target;
    }

    private static void delete(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.log(Level.WARNING, "pyhost preload: cannot delete " + dir + ": " + e);
        }
    }
}
