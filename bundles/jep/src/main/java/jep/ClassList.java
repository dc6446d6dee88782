package jep;

/**
 * Jep's class-path scanning {@link ClassEnquirer}. In OSGi there is no one class path to scan:
 * {@link #getInstance()} is refused; pyhost-jep's default enquirer answers from the interpreter's
 * bundle instead (see {@link JepConfig}).
 */
public class ClassList implements ClassEnquirer {

    private ClassList() {
    }

    /** Refused: throws {@link JepException} saying why. */
    public static synchronized ClassList getInstance() throws JepException {
        throw new JepException("jep.ClassList is not available in pyhost-jep: OSGi has no single class path to scan. "
                + "Leave JepConfig's class enquirer unset (the interpreter's bundle answers) or use NamingConventionClassEnquirer");
    }

    @Override
    public String[] getClassNames(String pkgName) {
        return new String[0];
    }

    @Override
    public String[] getSubPackages(String pkgName) {
        return new String[0];
    }

    @Override
    public boolean isJavaPackage(String name) {
        return false;
    }
}
