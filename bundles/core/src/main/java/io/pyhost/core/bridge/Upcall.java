package io.pyhost.core.bridge;

import static io.pyhost.core.bridge.CApi.*;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.MutableCallSite;
import java.util.List;

/**
 * Python's one way into Java: a builtin function ({@link #newFunction}) whose C function is an FFM
 * upcall stub, {@code PyObject *(PyObject *self, PyObject *args)}, answered by the {@link Handler}
 * {@link #install}ed. The stub and its {@code PyMethodDef} are made once per class loader in
 * process-wide memory (CPython keeps pointers to both for as long as the process lives).
 *
 * <p>The stub reaches the handler only through a {@link MutableCallSite}: {@link #retire} points it
 * at a target made of JDK classes alone, which answers NULL with no exception set (CPython raises
 * {@code SystemError} in the caller), so once retired a stub holds nothing of this class loader and
 * a refreshed core's classes can be collected.
 *
 * <p>Rules the stub keeps: nothing is thrown out of it (an exception leaving an upcall ends the
 * JVM); the caller holds the GIL; it must only run on threads whose stack CPython keeps
 * {@link StackGuard#RESERVE} clear of (the Python side checks that before calling).
 */
public final class Upcall {
    /** {@code PyMethodDef}: const char *ml_name; PyCFunction ml_meth; int ml_flags; const char *ml_doc. */
    private static final StructLayout PY_METHOD_DEF = MemoryLayout.structLayout(
            ValueLayout.ADDRESS.withName("ml_name"), ValueLayout.ADDRESS.withName("ml_meth"),
            ValueLayout.JAVA_INT.withName("ml_flags"), MemoryLayout.paddingLayout(4), ValueLayout.ADDRESS.withName("ml_doc"));
    private static final java.lang.invoke.VarHandle ML_NAME = PY_METHOD_DEF.varHandle(MemoryLayout.PathElement.groupElement("ml_name"));
    private static final java.lang.invoke.VarHandle ML_METH = PY_METHOD_DEF.varHandle(MemoryLayout.PathElement.groupElement("ml_meth"));
    private static final java.lang.invoke.VarHandle ML_FLAGS = PY_METHOD_DEF.varHandle(MemoryLayout.PathElement.groupElement("ml_flags"));
    private static final java.lang.invoke.VarHandle ML_DOC = PY_METHOD_DEF.varHandle(MemoryLayout.PathElement.groupElement("ml_doc"));
    /** {@code METH_VARARGS} of Include/methodobject.h. */
    private static final int METH_VARARGS = 0x0001;

    private static final MutableCallSite UPCALL = new MutableCallSite(
            MethodType.methodType(MemorySegment.class, MemorySegment.class, MemorySegment.class));
    /** The target of a retired stub: NULL, no exception set. JDK classes only: it pins no pyhost class loader. */
    private static final MethodHandle RETIRED = MethodHandles.dropArguments(
            MethodHandles.constant(MemorySegment.class, MemorySegment.NULL), 0, MemorySegment.class, MemorySegment.class);
    private static final MethodHandle ENTRY;

    static {
        try {
            ENTRY = MethodHandles.lookup().findStatic(Upcall.class, "entry",
                    MethodType.methodType(MemorySegment.class, Handler.class, MemorySegment.class, MemorySegment.class));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot make pyhost's upcall", e);
        }
        UPCALL.setTarget(RETIRED); // until a handler is installed
    }

    /** The method definition behind every {@link #newFunction}; lives as long as the process. */
    private static final MemorySegment METHOD_DEF = makeMethodDef();

    /** What a handler answers when it raised a Python exception ({@link #raise}, {@link #raiseBy}). */
    public static final Object RAISED = new Object();

    /** Python exception types a handler raises. */
    public enum ErrorType {
        TYPE_ERROR, VALUE_ERROR, RUNTIME_ERROR;

        MemorySegment type() {
            return switch (this) {
                case TYPE_ERROR -> PyExc_TypeError;
                case VALUE_ERROR -> PyExc_ValueError;
                case RUNTIME_ERROR -> PyExc_RuntimeError;
            };
        }
    }

    /** Java's side of the upcall. */
    public interface Handler {
        /**
         * Answers a call of the function with {@code arguments}, the calling thread holding the GIL.
         * Returns a {@link PyRef} (handed to Python, which owns it from then on), {@link #RAISED}
         * (a Python exception is set), or a Java value converted by the value table. An exception
         * thrown here is given to {@link #failed}.
         */
        Object handle(Arguments arguments) throws Throwable;

        /**
         * What Python gets for an exception {@link #handle} (or the conversion of its answer)
         * threw: a Python exception to raise ({@link #raise}) and {@link #RAISED}. A
         * {@link Values.ConversionException} means one is raised already. Must not throw.
         */
        Object failed(Throwable t);
    }

    /** The argument tuple of one call; valid during {@link Handler#handle} only. */
    public static final class Arguments {
        private final MemorySegment tuple; // borrowed from the caller, which holds it during the call

        private Arguments(MemorySegment tuple) {
            this.tuple = tuple;
        }

        /** How many arguments there are. */
        public long count() {
            return PyTuple_Size(tuple);
        }

        private MemorySegment item(int index) {
            MemorySegment item = PyTuple_GetItem(tuple, index); // borrowed from the tuple
            if (item.address() == 0) {
                throw new Values.ConversionException(); // IndexError raised: NULL never reaches the value table
            }
            return item;
        }

        /** Argument {@code index} converted by the value table. */
        public Object value(int index) {
            return Values.toJava(item(index));
        }

        /** Argument {@code index} converted, a tuple's items one by one (see {@code Values.items}). */
        public Object items(int index) {
            return Values.items(item(index));
        }

        /** Argument {@code index} as a long; {@link Values.ConversionException} (raised) when it is no int that fits. */
        public long longValue(int index) {
            long value = PyLong_AsLongLong(item(index));
            if (value == -1 && PyErr_Occurred().address() != 0) {
                throw new Values.ConversionException();
            }
            return value;
        }

        /** Argument {@code index} itself, as a new reference the caller owns. */
        public PyRef object(int index, PythonInterpreter in) {
            return PyRef.borrow(in, item(index));
        }
    }

    private Upcall() {
    }

    /** Points every stub of this class loader at {@code handler}. */
    public static void install(Handler handler) {
        UPCALL.setTarget(MethodHandles.insertArguments(ENTRY, 0, handler));
        MutableCallSite.syncAll(new MutableCallSite[] {UPCALL});
    }

    /**
     * Retires the stub for good: from now on a call of a function made by {@link #newFunction}
     * raises {@code SystemError} and reaches no class of this class loader.
     */
    public static void retire() {
        UPCALL.setTarget(RETIRED);
        MutableCallSite.syncAll(new MutableCallSite[] {UPCALL});
    }

    /** A new builtin function (named {@code _raw}) that calls the handler. GIL of {@code in} held. */
    public static PyRef newFunction(PythonInterpreter in) {
        return PyRef.take(in, PyCFunction_NewEx(METHOD_DEF, MemorySegment.NULL, MemorySegment.NULL));
    }

    /** Raises {@code type(message)} in Python; returns {@link #RAISED}. GIL held. */
    public static Object raise(ErrorType type, String message) {
        try (Arena arena = Arena.ofConfined()) {
            PyErr_SetString(type.type(), arena.allocateFrom(message));
        }
        return RAISED;
    }

    /**
     * Calls {@code raiser(*args)}, a Python function that raises, and leaves its exception set;
     * when it returns instead, raises {@code RuntimeError(otherwise)}. Returns {@link #RAISED}.
     */
    public static Object raiseBy(PyRef raiser, List<?> args, String otherwise) {
        MemorySegment result = Values.callWith(raiser.pointer(), args);
        if (result.address() != 0) {
            Py_DecRef(result);
            return raise(ErrorType.RUNTIME_ERROR, otherwise);
        }
        return RAISED;
    }

    private static MemorySegment makeMethodDef() {
        Arena forever = Arena.global(); // CPython keeps pointers to the definition and the stub
        MemorySegment stub = Linker.nativeLinker().upcallStub(UPCALL.dynamicInvoker(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS), forever);
        MemorySegment def = forever.allocate(PY_METHOD_DEF);
        ML_NAME.set(def, 0L, forever.allocateFrom("_raw"));
        ML_METH.set(def, 0L, stub);
        ML_FLAGS.set(def, 0L, METH_VARARGS);
        ML_DOC.set(def, 0L, MemorySegment.NULL);
        return def;
    }

    /** An upcall that failed without raising: CPython reports a bare SystemError, so the cause is logged here. Never throws. */
    private static void lost(Throwable t) {
        try {
            System.getLogger(Upcall.class.getName()).log(System.Logger.Level.WARNING,
                    "pyhost: a call from Python into Java failed without a Python exception (Python sees SystemError)", t);
        } catch (Throwable ignored) {
            // nothing may leave an upcall
        }
    }

    /** The stub's target while a handler is installed: never throws. */
    private static MemorySegment entry(Handler handler, MemorySegment self, MemorySegment args) {
        try {
            Object answer;
            try {
                answer = handler.handle(new Arguments(args));
                if (answer != RAISED) {
                    return answer instanceof PyRef ref ? ref.detach() : Values.toPython(answer);
                }
            } catch (Throwable t) {
                answer = handler.failed(t);
            }
            if (answer instanceof PyRef ref) {
                return ref.detach();
            }
            if (answer != RAISED || PyErr_Occurred().address() == 0) {
                lost(null);
            }
            return MemorySegment.NULL;
        } catch (Throwable t) {
            lost(t);
            return MemorySegment.NULL; // nothing may leave an upcall; CPython reports a SystemError
        }
    }
}
