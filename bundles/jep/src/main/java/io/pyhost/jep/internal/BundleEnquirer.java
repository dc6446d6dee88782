package io.pyhost.jep.internal;

import java.lang.module.ModuleDescriptor;
import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;

import org.osgi.framework.Bundle;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.wiring.BundleCapability;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;

import jep.ClassEnquirer;

/**
 * pyhost-jep's default {@link ClassEnquirer}: the Java packages an interpreter's class loader
 * sees. The JDK's exported packages, and, when the loader is a bundle's, the packages the bundle
 * contains, exports and imports (its wiring, as resolved when the interpreter was made); outside
 * OSGi, the packages the loader has defined so far.
 */
final class BundleEnquirer implements ClassEnquirer {
    private static final String PACKAGE = "osgi.wiring.package";
    private static final Set<String> JDK = jdkPackages();

    private final Set<String> packages = new TreeSet<>(JDK);
    private final String description;

    BundleEnquirer(ClassLoader loader, Class<?> caller) {
        Bundle bundle = caller == null ? null : FrameworkUtil.getBundle(caller);
        BundleWiring wiring = bundle == null ? null : bundle.adapt(BundleWiring.class);
        if (wiring != null && wiring.getClassLoader() == loader) {
            for (BundleCapability c : wiring.getCapabilities(PACKAGE)) {
                add(c.getAttributes().get(PACKAGE));
            }
            for (BundleWire w : wiring.getRequiredWires(PACKAGE)) {
                add(w.getCapability().getAttributes().get(PACKAGE));
            }
            Collection<String> classes = wiring.listResources("/", "*.class", BundleWiring.LISTRESOURCES_LOCAL | BundleWiring.LISTRESOURCES_RECURSE);
            for (String path : classes) {
                int slash = path.lastIndexOf('/');
                if (slash > 0 && !path.startsWith("META-INF")) {
                    packages.add(path.substring(0, slash).replace('/', '.'));
                }
            }
            description = "bundle " + bundle.getSymbolicName() + "/" + bundle.getVersion();
        } else {
            if (loader != null) {
                for (Package p : loader.getDefinedPackages()) {
                    packages.add(p.getName());
                }
            }
            description = "class loader " + loader;
        }
    }

    private void add(Object name) {
        if (name instanceof String s) {
            packages.add(s);
        }
    }

    private static Set<String> jdkPackages() {
        Set<String> out = new TreeSet<>();
        for (Module m : ModuleLayer.boot().modules()) {
            ModuleDescriptor d = m.getDescriptor();
            if (d == null) {
                continue;
            }
            for (ModuleDescriptor.Exports e : d.exports()) {
                if (!e.isQualified()) {
                    out.add(e.source());
                }
            }
        }
        return out;
    }

    /** Where classes come from, for messages. */
    String description() {
        return description;
    }

    @Override
    public boolean isJavaPackage(String name) {
        if (name == null || name.isEmpty()) {
            return false;
        }
        if (packages.contains(name)) {
            return true;
        }
        String prefix = name + ".";
        String next = ((TreeSet<String>) packages).ceiling(prefix);
        return next != null && next.startsWith(prefix);
    }

    @Override
    public String[] getClassNames(String pkgName) {
        return new String[0];
    }

    @Override
    public String[] getSubPackages(String pkgName) {
        String prefix = pkgName + ".";
        return packages.stream().filter(p -> p.startsWith(prefix)).map(p -> p.substring(prefix.length()))
                .map(p -> p.contains(".") ? p.substring(0, p.indexOf('.')) : p).distinct().toArray(String[]::new);
    }
}
