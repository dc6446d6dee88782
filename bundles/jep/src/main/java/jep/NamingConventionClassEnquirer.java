package jep;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A {@link ClassEnquirer} by naming convention (Jep 4.2.2): a name is a Java package when its
 * first part is one of the usual top-level domains ({@code java}, {@code javax}, {@code com},
 * {@code org}, {@code gov}, {@code net}, ...) or one added with {@link #addTopLevelPackageName}.
 * It cannot list classes: {@link #getClassNames} and {@link #getSubPackages} answer empty arrays.
 */
public class NamingConventionClassEnquirer implements ClassEnquirer {
    protected static final List<String> TOP_LEVEL = List.of("java", "javax", "com", "gov", "net", "org", "edu", "mil", "jdk", "sun");

    protected Set<String> javaNames;

    public NamingConventionClassEnquirer() {
        this(true);
    }

    public NamingConventionClassEnquirer(boolean includeDefaults) {
        this(includeDefaults, false);
    }

    /** {@code includeJavaxSubpackages}: kept for Jep compatibility; javax is a top-level name either way. */
    public NamingConventionClassEnquirer(boolean includeDefaults, boolean includeJavaxSubpackages) {
        javaNames = new HashSet<>();
        if (includeDefaults) {
            javaNames.addAll(TOP_LEVEL);
        }
    }

    public NamingConventionClassEnquirer addTopLevelPackageName(String pkgStart) {
        javaNames.add(pkgStart);
        return this;
    }

    @Override
    public boolean isJavaPackage(String name) {
        if (name == null || name.isEmpty()) {
            return false;
        }
        int dot = name.indexOf('.');
        return javaNames.contains(dot < 0 ? name : name.substring(0, dot));
    }

    @Override
    public String[] getClassNames(String pkgName) {
        return new String[0];
    }

    @Override
    public String[] getSubPackages(String pkgName) {
        return new String[0];
    }
}
