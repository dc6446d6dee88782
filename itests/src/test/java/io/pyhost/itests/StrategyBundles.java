package io.pyhost.itests;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.Version;

/**
 * The strategy bundles as {@link PyhostTestSupport} provisions them (jars in
 * {@code target/bundles}, installed by {@code file:} URL): found by mode, rebuilt under another
 * {@code Bundle-Version} for {@link Bundle#update(InputStream)}, and put back as built after a
 * test stopped, updated or uninstalled them.
 */
final class StrategyBundles {

    private StrategyBundles() {
    }

    /** The jar of {@code artifactId} in {@code target/bundles}. */
    static Path jar(String artifactId) {
        return Paths.get(System.getProperty("pyhost.itest.bundles", "target/bundles")).resolve(artifactId + ".jar");
    }

    /** The jar of the strategy bundle for {@code mode} ({@code pyhost-strategy-<mode>}). */
    static Path jarForMode(String mode) {
        return jar("pyhost-strategy-" + mode);
    }

    /** BSN of the strategy bundle for {@code mode} (DESIGN.md: BSN = root package). */
    static String symbolicNameForMode(String mode) {
        return PyhostTestSupport.STRATEGY_BSN_PREFIX + mode;
    }

    /** The installed bundle named {@code symbolicName}, or null. */
    static Bundle installed(BundleContext context, String symbolicName) {
        return Stream.of(context.getBundles()).filter(b -> symbolicName.equals(b.getSymbolicName())).findFirst().orElse(null);
    }

    /** The installed strategy bundles. */
    static List<Bundle> installedStrategies(BundleContext context) {
        return Stream.of(context.getBundles())
                .filter(b -> b.getSymbolicName() != null && b.getSymbolicName().startsWith(PyhostTestSupport.STRATEGY_BSN_PREFIX))
                .toList();
    }

    static Manifest manifest(byte[] jar) {
        try (JarInputStream in = new JarInputStream(new java.io.ByteArrayInputStream(jar))) {
            return in.getManifest();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Version version(byte[] jar) {
        return Version.parseVersion(manifest(jar).getMainAttributes().getValue(Constants.BUNDLE_VERSION));
    }

    static String symbolicName(byte[] jar) {
        return manifest(jar).getMainAttributes().getValue(Constants.BUNDLE_SYMBOLICNAME).split(";")[0].trim();
    }

    static byte[] read(Path jar) {
        try {
            return Files.readAllBytes(jar);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * "A second build" of {@code jar}: every entry as it is, the manifest's {@code Bundle-Version}
     * replaced by {@code version}.
     */
    static byte[] rebuiltAs(byte[] jar, Version version) {
        try (JarInputStream in = new JarInputStream(new java.io.ByteArrayInputStream(jar))) {
            Manifest manifest = new Manifest(in.getManifest());
            manifest.getMainAttributes().putValue(Constants.BUNDLE_VERSION, version.toString());
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(jar.length + 256);
            try (JarOutputStream out = new JarOutputStream(bytes, manifest)) {
                for (JarEntry entry; (entry = in.getNextJarEntry()) != null; ) {
                    out.putNextEntry(new JarEntry(entry.getName()));
                    in.transferTo(out);
                    out.closeEntry();
                }
            }
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Puts every provisioned strategy bundle back as built: installed (by its {@code file:} URL)
     * if a test uninstalled it, updated from its jar if a test updated it to another version,
     * started if a test stopped it.
     */
    static void restoreAll(BundleContext context) throws BundleException {
        for (String artifactId : PyhostTestSupport.STRATEGY_BUNDLES) {
            Path jar = jar(artifactId);
            byte[] built = read(jar);
            String bsn = symbolicName(built);
            Bundle bundle = installed(context, bsn);
            if (bundle == null) {
                bundle = context.installBundle(jar.toUri().toString());
            } else if (!bundle.getVersion().equals(version(built))) {
                bundle.update(new java.io.ByteArrayInputStream(built));
            }
            if (bundle.getState() != Bundle.ACTIVE) {
                bundle.start();
            }
        }
    }
}
