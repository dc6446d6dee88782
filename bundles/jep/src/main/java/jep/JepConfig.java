package jep;

import java.io.File;
import java.io.OutputStream;
import java.util.HashSet;
import java.util.Set;

/**
 * How to make an interpreter (Jep 4.2.2). What pyhost does with each setting:
 * <ul>
 * <li>include paths: appended to {@code sys.path} when the interpreter is made (for a
 * {@link SharedInterpreter}, the main interpreter's {@code sys.path}, shared);</li>
 * <li>class loader: where {@code from java.util import ArrayList} finds classes (default: the
 * class loader of the class that made the interpreter, i.e. its bundle's class space);</li>
 * <li>class enquirer: which names are Java packages (default: the packages of the JDK and those
 * the class loader's bundle contains or imports);</li>
 * <li>stdout / stderr: each line Python writes goes to the stream;</li>
 * <li>shared modules: accepted for a {@link SharedInterpreter} (every module is shared there);
 * refused for a {@link SubInterpreter}, which shares nothing with other interpreters;</li>
 * <li>sub-interpreter options: see {@link SubInterpreterOptions}.</li>
 * </ul>
 */
public class JepConfig {
    protected boolean interactive;
    protected StringBuilder includePath;
    protected ClassLoader classLoader;
    protected ClassEnquirer classEnquirer;
    protected OutputStream redirectStdout;
    protected OutputStream redirectStderr;
    protected Set<String> sharedModules;
    protected SubInterpreterOptions subInterpOptions;

    public JepConfig() {
    }

    /** The include path, entries separated by {@link File#pathSeparator}. */
    public JepConfig setIncludePath(String includePath) {
        this.includePath = includePath == null ? null : new StringBuilder(includePath);
        return this;
    }

    public JepConfig addIncludePaths(String... includePaths) {
        if (includePaths == null) {
            return this;
        }
        for (String p : includePaths) {
            if (p == null) {
                throw new JepException("addIncludePaths: an include path is null");
            }
            if (includePath == null) {
                includePath = new StringBuilder(p);
            } else {
                includePath.append(File.pathSeparator).append(p);
            }
        }
        return this;
    }

    public JepConfig setClassLoader(ClassLoader classLoader) {
        this.classLoader = classLoader;
        return this;
    }

    public JepConfig setClassEnquirer(ClassEnquirer classEnquirer) {
        this.classEnquirer = classEnquirer;
        return this;
    }

    public JepConfig redirectStdout(OutputStream outputStream) {
        this.redirectStdout = outputStream;
        return this;
    }

    public JepConfig redirectStdErr(OutputStream outputStream) {
        this.redirectStderr = outputStream;
        return this;
    }

    public JepConfig setSharedModules(Set<String> sharedModules) {
        this.sharedModules = sharedModules;
        return this;
    }

    public JepConfig addSharedModules(String... sharedModule) {
        if (sharedModules == null) {
            sharedModules = new HashSet<>();
        }
        for (String m : sharedModule) {
            sharedModules.add(m);
        }
        return this;
    }

    public JepConfig setSubInterpreterOptions(SubInterpreterOptions subInterpOptions) {
        this.subInterpOptions = subInterpOptions;
        return this;
    }

    /** {@code new SubInterpreter(this)}. */
    public SubInterpreter createSubInterpreter() throws JepException {
        return new SubInterpreter(this);
    }

    @Override
    public String toString() {
        return "JepConfig[includePath=" + includePath + ", classLoader=" + classLoader + ", classEnquirer=" + classEnquirer
                + ", redirectStdout=" + redirectStdout + ", redirectStderr=" + redirectStderr + ", sharedModules=" + sharedModules
                + ", subInterpOptions=" + subInterpOptions + "]";
    }
}
