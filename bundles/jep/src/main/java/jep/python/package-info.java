/**
 * Python objects held by Java ({@link jep.python.PyObject}, {@link jep.python.PyCallable}), as in
 * Jep 4.2.2, on pyhost's object handles.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("4.2.2")
package jep.python;
