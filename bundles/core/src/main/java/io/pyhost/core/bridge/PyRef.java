package io.pyhost.core.bridge;

import static io.pyhost.core.bridge.CApi.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;

import io.pyhost.api.PyException;

/**
 * One strong reference to a Python object of one {@link PythonInterpreter}: the only form in which
 * code outside the bridge holds a Python object. Whoever receives a new {@code PyRef} (every method
 * here that returns one makes a new one) owns it and closes it; a {@code PyRef} that something else
 * owns and lends, such as an interpreter's {@linkplain PythonInterpreter#attachment attachment},
 * is used during the call it was lent for and never closed ({@link #close} refuses it).
 *
 * <p><b>Threads.</b> Every method, {@link #close} included, runs on a thread that holds this
 * reference's interpreter's GIL (inside a {@link GilTask} of it). {@link #close} checks that rule
 * (two downcalls, ~20 ns) and throws {@link IllegalStateException} without releasing anything when
 * it is broken: a reference is never released without its GIL. The other methods do not check (they
 * run on the hot paths); breaking the rule there is undefined, as in C.
 *
 * <p><b>Lifecycle.</b> {@link #close} releases the reference exactly once; closing again does
 * nothing. Any other method on a closed reference throws {@link IllegalStateException}. A Python
 * exception raised by an operation is thrown as {@link PyException} (a {@code KeyboardInterrupt}
 * caused by the current call's timeout as {@code TimeoutError}, see {@link PyErrors#fetch}).
 *
 * <p><b>Cost.</b> One small Java object per reference; each operation is one or a few downcalls
 * (~10 ns each) plus what Python does. Hot paths that would make a {@code PyRef} per call use the
 * bridge's own operations instead ({@link Namespace}, {@link #call}).
 */
public final class PyRef implements AutoCloseable {
    private final PythonInterpreter interpreter;
    private MemorySegment object; // the owned PyObject*; null once closed (GIL held for every change)
    private boolean heldByInterpreter; // an attachment: released with the interpreter only

    private PyRef(PythonInterpreter interpreter, MemorySegment newReference) {
        this.interpreter = interpreter;
        this.object = newReference;
    }

    // ---- made inside the bridge ----

    /** Takes over a new reference; NULL means a Python exception is raised, which is thrown. GIL held. */
    static PyRef take(PythonInterpreter in, MemorySegment newReference) {
        if (newReference.address() == 0) {
            throw PyErrors.fetch(in, PythonInterpreter.currentCall());
        }
        return new PyRef(in, newReference);
    }

    /** A new owned reference to a borrowed object (not NULL). GIL held. */
    static PyRef borrow(PythonInterpreter in, MemorySegment borrowed) {
        Py_IncRef(borrowed);
        return new PyRef(in, borrowed);
    }

    /** The object; the reference stays owned by this. Throws when closed. */
    MemorySegment pointer() {
        MemorySegment o = object;
        if (o == null) {
            throw new IllegalStateException("this Python reference was closed");
        }
        return o;
    }

    /** A new reference to the object, for C code that steals it. */
    MemorySegment newPointer() {
        MemorySegment o = pointer();
        Py_IncRef(o);
        return o;
    }

    /** Hands the reference to C code that steals it: this is closed without releasing anything. */
    MemorySegment detach() {
        MemorySegment o = pointer();
        if (heldByInterpreter) {
            throw new IllegalStateException("this Python reference is held by its interpreter");
        }
        object = null;
        return o;
    }

    /** From now on only the interpreter releases this ({@link #releaseHeld}). */
    void holdForInterpreter() {
        heldByInterpreter = true;
    }

    /** The interpreter releases an attachment. GIL held. */
    void releaseHeld() {
        MemorySegment o = object;
        if (o != null) {
            object = null; // first: releasing may run Python that drops the GIL
            Py_DecRef(o);
        }
    }

    // ---- made outside ----

    /** A new reference to the Python value of {@code value} (the value table; a {@code PyRef} in it is the object itself). */
    public static PyRef of(PythonInterpreter in, Object value) {
        try {
            return new PyRef(in, Values.toPython(value));
        } catch (Values.ConversionException e) {
            throw PyErrors.fetch(in, PythonInterpreter.currentCall());
        }
    }

    /** Another owned reference to the same object. */
    public PyRef newReference() {
        return new PyRef(interpreter, newPointer());
    }

    /** The interpreter the object lives in. */
    public PythonInterpreter interpreter() {
        return interpreter;
    }

    /** Whether {@link #close} ran. */
    public boolean isClosed() {
        return object == null;
    }

    // ---- values ----

    /** The Java value of the object (the value table). */
    public Object toJava() {
        try {
            return Values.toJava(pointer());
        } catch (Values.ConversionException e) {
            throw raised();
        }
    }

    /** The qualified name of the object's type ({@code Point.Inner}). */
    public String typeName() {
        MemorySegment name = PyType_GetQualName(typeOf(pointer()));
        if (name.address() == 0) {
            throw raised();
        }
        try {
            return Values.string(name);
        } finally {
            Py_DecRef(name);
        }
    }

    // ---- attributes ----

    /** {@code getattr(obj, name)}. */
    public PyRef getAttr(String name) {
        return PyRef.take(interpreter, getAttribute(pointer(), name));
    }

    /** {@code getattr(obj, name)}, or null when the object has no such attribute (the AttributeError is cleared). */
    public PyRef getAttrOrNull(String name) {
        MemorySegment attribute = getAttribute(pointer(), name);
        if (attribute.address() == 0) {
            if (PyErr_ExceptionMatches(PyExc_AttributeError) != 0) {
                PyErr_Clear();
                return null;
            }
            throw raised();
        }
        return new PyRef(interpreter, attribute);
    }

    /** {@code setattr(obj, name, value)} with the Python value of {@code value}. */
    public void setAttr(String name, Object value) {
        MemorySegment self = pointer();
        MemorySegment v = toPython(value);
        try (Arena arena = Arena.ofConfined()) {
            if (PyObject_SetAttrString(self, arena.allocateFrom(name), v) != 0) {
                throw raised();
            }
        } finally {
            Py_DecRef(v);
        }
    }

    static MemorySegment getAttribute(MemorySegment self, String name) {
        try (Arena arena = Arena.ofConfined()) {
            return PyObject_GetAttrString(self, arena.allocateFrom(name));
        }
    }

    // ---- calls ----

    /**
     * {@code obj(*args, **kwargs)} converted to Java; {@code args} and {@code kwargs} may be null
     * (none). Makes no {@code PyRef} (the held-callable hot path).
     */
    public Object call(List<?> args, Map<String, ?> kwargs) {
        return convert(interpreter, invoke(interpreter, pointer(), args, kwargs));
    }

    /** {@code obj(*args, **kwargs)} as a new reference. */
    public PyRef callObject(List<?> args, Map<String, ?> kwargs) {
        return take(interpreter, invoke(interpreter, pointer(), args, kwargs));
    }

    /** {@code obj.name(*args)} converted to Java. */
    public Object callMethod(String name, List<?> args) {
        MemorySegment method = getAttribute(pointer(), name);
        if (method.address() == 0) {
            throw raised();
        }
        try {
            return convert(interpreter, invoke(interpreter, method, args, null));
        } finally {
            Py_DecRef(method);
        }
    }

    /** {@code obj.name(*args)} as a new reference. */
    public PyRef callMethodObject(String name, List<?> args) {
        MemorySegment method = getAttribute(pointer(), name);
        if (method.address() == 0) {
            throw raised();
        }
        try {
            return take(interpreter, invoke(interpreter, method, args, null));
        } finally {
            Py_DecRef(method);
        }
    }

    /**
     * {@code callable(*args, **kwargs)}: a new reference or NULL with an exception raised; what
     * was converted is released when a conversion throws half-way.
     */
    static MemorySegment invoke(PythonInterpreter in, MemorySegment callable, List<?> args, Map<String, ?> kwargs) {
        MemorySegment tuple;
        try {
            tuple = Values.tuple(args == null ? List.of() : args);
        } catch (Values.ConversionException e) {
            throw PyErrors.fetch(in, PythonInterpreter.currentCall());
        }
        MemorySegment dict = MemorySegment.NULL;
        try {
            if (kwargs != null && !kwargs.isEmpty()) {
                dict = Values.toPython(kwargs);
            }
            return PyObject_Call(callable, tuple, dict);
        } catch (Values.ConversionException e) {
            throw PyErrors.fetch(in, PythonInterpreter.currentCall());
        } finally {
            Py_DecRef(tuple);
            if (dict.address() != 0) {
                Py_DecRef(dict);
            }
        }
    }

    /** Converts and releases a new reference; NULL means a Python exception is raised, which is thrown. */
    static Object convert(PythonInterpreter in, MemorySegment result) {
        if (result.address() == 0) {
            throw PyErrors.fetch(in, PythonInterpreter.currentCall());
        }
        try {
            return Values.toJava(result);
        } catch (Values.ConversionException e) {
            throw PyErrors.fetch(in, PythonInterpreter.currentCall());
        } finally {
            Py_DecRef(result);
        }
    }

    // ---- iteration ----

    /** {@code iter(obj)}. */
    public PyRef iterator() {
        return take(interpreter, PyObject_GetIter(pointer()));
    }

    /** One step of this iterator: {@code next(it)} converted to Java, or {@code exhausted} at its end. */
    public Object next(Object exhausted) {
        MemorySegment item = PyIter_Next(pointer());
        if (item.address() == 0) {
            if (PyErr_Occurred().address() != 0) {
                throw raised();
            }
            return exhausted;
        }
        return convert(interpreter, item);
    }

    // ---- containers ----

    /** {@code len(obj)} of an exact list or tuple. */
    public long size() {
        MemorySegment self = pointer();
        long type = typeOf(self).address();
        long n = type == PyList_Type.address() ? PyList_Size(self) : type == PyTuple_Type.address() ? PyTuple_Size(self) : -1;
        if (n < 0) {
            throw new IllegalStateException("not a list or tuple");
        }
        return n;
    }

    /** {@code obj[index]} of an exact list or tuple, as a new reference. */
    public PyRef item(long index) {
        MemorySegment self = pointer();
        long type = typeOf(self).address();
        MemorySegment item = type == PyList_Type.address() ? PyList_GetItem(self, index)
                : type == PyTuple_Type.address() ? PyTuple_GetItem(self, index) : MemorySegment.NULL;
        if (item.address() == 0) {
            if (PyErr_Occurred().address() != 0) {
                throw raised();
            }
            throw new IllegalStateException("not a list or tuple");
        }
        return borrow(interpreter, item);
    }

    /**
     * Item {@code index} of this list as a long, or {@code otherwise} when it is no int that fits
     * (the error is cleared). Runs no Python code.
     */
    public long longItem(long index, long otherwise) {
        MemorySegment item = PyList_GetItem(pointer(), index);
        if (item.address() == 0) {
            PyErr_Clear();
            return otherwise;
        }
        long value = PyLong_AsLongLong(item);
        if (value == -1 && PyErr_Occurred().address() != 0) {
            PyErr_Clear();
            return otherwise;
        }
        return value;
    }

    /** Empties this list ({@code del obj[:]}); runs no Python code but the items' release. */
    public void clearList() {
        MemorySegment self = pointer();
        if (PyList_SetSlice(self, 0, PyList_Size(self), MemorySegment.NULL) != 0) {
            PyErr_Clear();
        }
    }

    /** {@code dict[key]} of this dict as a new reference, or null when the key is absent. No Python code runs. */
    public PyRef getItem(String key) {
        MemorySegment item;
        try (Arena arena = Arena.ofConfined()) {
            item = PyDict_GetItemString(pointer(), arena.allocateFrom(key));
        }
        return item.address() == 0 ? null : borrow(interpreter, item);
    }

    /** {@code dict[key] = value} on this dict, with the Python value of {@code value}. */
    public void setItem(String key, Object value) {
        MemorySegment self = pointer();
        MemorySegment v = toPython(value);
        try (Arena arena = Arena.ofConfined()) {
            if (PyDict_SetItemString(self, arena.allocateFrom(key), v) != 0) {
                throw raised();
            }
        } finally {
            Py_DecRef(v);
        }
    }

    /** Adds the Python value of {@code value} to this set; returns whether it was absent. */
    public boolean setAdd(Object value) {
        MemorySegment self = pointer();
        MemorySegment v = toPython(value);
        try {
            int present = PySet_Contains(self, v);
            if (present < 0 || present == 0 && PySet_Add(self, v) < 0) {
                throw raised();
            }
            return present == 0;
        } finally {
            Py_DecRef(v);
        }
    }

    /** Removes the Python value of {@code value} from this set, if there. */
    public void setDiscard(Object value) {
        MemorySegment self = pointer();
        MemorySegment v = toPython(value);
        try {
            if (PySet_Discard(self, v) < 0) {
                throw raised();
            }
        } finally {
            Py_DecRef(v);
        }
    }

    private MemorySegment toPython(Object value) {
        try {
            return Values.toPython(value);
        } catch (Values.ConversionException e) {
            throw raised();
        }
    }

    private PyException raised() {
        return PyErrors.fetch(interpreter, PythonInterpreter.currentCall());
    }

    // ---- the end ----

    /**
     * Releases the reference, once; later calls do nothing. Must run on a thread holding this
     * interpreter's GIL: otherwise throws {@link IllegalStateException} and releases nothing (the
     * reference stays open, to be closed properly or with the interpreter). A reference its
     * interpreter holds (an attachment) is refused the same way. Releasing may run Python code
     * ({@code __del__}).
     */
    @Override
    public void close() {
        MemorySegment o = object;
        if (o == null) {
            return;
        }
        if (heldByInterpreter) {
            throw new IllegalStateException("this Python reference is held by its interpreter and released with it");
        }
        if (!interpreter.gilHeldHere()) {
            throw new IllegalStateException("a Python reference can only be closed with its interpreter's GIL held "
                    + "(inside a call of its interpreter); " + Thread.currentThread() + " does not hold it");
        }
        object = null; // first: releasing may run Python that drops the GIL, and another thread may close this meanwhile
        Py_DecRef(o);
    }

    @Override
    public String toString() {
        MemorySegment o = object;
        return "PyRef[" + (o == null ? "closed" : "0x" + Long.toHexString(o.address())) + " in interpreter " + interpreter.interpreterId() + "]";
    }
}
