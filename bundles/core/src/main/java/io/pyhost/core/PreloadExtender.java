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
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.util.tracker.BundleTracker;
import org.osgi.util.tracker.BundleTrackerCustomizer;

import io.pyhost.api.RequirePreloadExtender;

/**
 * The {@code io.pyhost.preload} extender: turns the {@code Python-Preload}, {@code Python-Path}
 * and {@code Python-Import} headers of every started bundle into a preload contribution, and
 * withdraws it when the bundle stops. {@code Python-Path} directories are extracted under
 * core's data area ({@code python-path/<bundle id>/...}) and deleted when the bundle goes.
 * Problems are logged with the bundle's name and entry and never affect other bundles.
 */
@Component(immediate = true)
@Capability(namespace = "osgi.extender", name = RequirePreloadExtender.NAME, version = RequirePreloadExtender.VERSION)
public final class PreloadExtender {
    private static final Logger LOG = System.getLogger(PreloadExtender.class.getName());

    private final PreloadRegistry registry;
    private final Path extractRoot;
    private final BundleTracker<String> tracker;

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
    }

    @Deactivate
    void deactivate() {
        tracker.close();
    }

    /** Tracks a bundle with Python headers that contributed nothing valid. */
    private static final String NOTHING = "nothing";

    /** Contributions are kept by owner; zero-padding makes their order bundle-install order. */
    private static String owner(Bundle bundle) {
        return String.format("bundle:%019d", bundle.getBundleId());
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
