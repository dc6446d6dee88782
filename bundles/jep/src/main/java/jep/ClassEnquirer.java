package jep;

/**
 * Tells the Python importer which names are Java packages and which classes they hold (Jep
 * 4.2.2). pyhost-jep's default answers from the interpreter's class space: the JDK's packages and
 * the packages the creating bundle contains or imports.
 */
public interface ClassEnquirer {

    /** Packages never treated as Java: Python's own modules may live there. */
    String[] RESTRICTED_PKG_NAMES = {"io", "re"};

    /** Whether {@code name} (dotted) is a Java package, or the start of one. */
    boolean isJavaPackage(String name);

    /** The simple names of the public classes in {@code pkgName}, where known. */
    String[] getClassNames(String pkgName);

    /** The names of the sub-packages of {@code pkgName}, where known. */
    String[] getSubPackages(String pkgName);
}
