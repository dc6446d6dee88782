package jep;

import java.util.Set;

/**
 * Wraps another {@link ClassEnquirer} and lets Python packages whose names look like Java ones
 * win (Jep 4.2.2): a name under one of {@code pyPkgNames} is never a Java package.
 */
public class AllowPythonClassEnquirer implements ClassEnquirer {
    protected ClassEnquirer delegate;
    protected Set<String> pyPkgNames;

    public AllowPythonClassEnquirer(ClassEnquirer delegate, String... pyPkgNames) {
        this.delegate = delegate;
        this.pyPkgNames = Set.of(pyPkgNames);
    }

    @Override
    public boolean isJavaPackage(String name) {
        for (String py : pyPkgNames) {
            if (name.equals(py) || name.startsWith(py + ".")) {
                return false;
            }
        }
        return delegate.isJavaPackage(name);
    }

    @Override
    public String[] getClassNames(String pkgName) {
        return delegate.getClassNames(pkgName);
    }

    @Override
    public String[] getSubPackages(String pkgName) {
        return delegate.getSubPackages(pkgName);
    }
}
