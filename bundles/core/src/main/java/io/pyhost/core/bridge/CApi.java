package io.pyhost.core.bridge;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The part of CPython's C API pyhost calls, as static downcalls into the libpython that
 * {@link LibPython#load} opened; visible inside the bridge only (code outside holds
 * {@link PyRef}s). One method per C function, same name, same meaning, parameters named as in
 * CPython's headers and documentation; structs are {@link StructLayout}s whose fields are read
 * by name. The C API's rules hold unchanged: every {@code PyObject*} is a {@link MemorySegment}
 * of size 0, a new reference must be released with {@link #Py_DecRef}, a borrowed one must not,
 * and all but the thread-state functions need an attached thread state (the GIL).
 *
 * <p>Handles are {@code static final} so the JIT binds them like constants: one downcall costs
 * about 10 ns. Functions marked optional are absent on older CPython versions
 * ({@code has_...()} tells). Every binding here has a caller.
 */
@SuppressWarnings("checkstyle:MethodName")
final class CApi {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LOOKUP = LibPython.lookup();

    /** {@code Py_eval_input}, {@code Py_file_input} of {@code Py_CompileString}. */
    static final int EVAL_INPUT = 258;
    static final int FILE_INPUT = 257;

    /** {@code PyStatus}: int _type; const char *func; const char *err_msg; int exitcode (returned by value). */
    static final StructLayout PY_STATUS = MemoryLayout.structLayout(
            ValueLayout.JAVA_INT.withName("_type"), MemoryLayout.paddingLayout(4),
            ValueLayout.ADDRESS.withName("func"), ValueLayout.ADDRESS.withName("err_msg"),
            ValueLayout.JAVA_INT.withName("exitcode"), MemoryLayout.paddingLayout(4));

    /** {@code PyStatus._type}: 0 is {@code _PyStatus_TYPE_OK}. */
    static final VarHandle PY_STATUS_TYPE = field(PY_STATUS, "_type");
    /** {@code PyStatus.err_msg}: why it failed, or NULL. */
    static final VarHandle PY_STATUS_ERR_MSG = field(PY_STATUS, "err_msg");

    /** {@code PyInterpreterConfig} of CPython 3.12 to 3.14: seven ints. */
    static final StructLayout PY_INTERPRETER_CONFIG = MemoryLayout.structLayout(
            ValueLayout.JAVA_INT.withName("use_main_obmalloc"), ValueLayout.JAVA_INT.withName("allow_fork"),
            ValueLayout.JAVA_INT.withName("allow_exec"), ValueLayout.JAVA_INT.withName("allow_threads"),
            ValueLayout.JAVA_INT.withName("allow_daemon_threads"),
            ValueLayout.JAVA_INT.withName("check_multi_interp_extensions"), ValueLayout.JAVA_INT.withName("gil"));
    /** {@code PyInterpreterConfig.gil}: {@code PyInterpreterConfig_SHARED_GIL} or {@code _OWN_GIL}. */
    static final int SHARED_GIL = 1;
    static final int OWN_GIL = 2;

    /**
     * The head of {@code PyObject} in the default (GIL) build: {@code Py_ssize_t ob_refcnt} (a
     * union in 3.14, of the same size) and {@code PyTypeObject *ob_type}.
     */
    static final StructLayout PY_OBJECT = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("ob_refcnt"), ValueLayout.ADDRESS.withName("ob_type"));
    private static final long OB_TYPE_OFFSET = PY_OBJECT.byteOffset(MemoryLayout.PathElement.groupElement("ob_type"));

    /** An accessor of the field {@code name} of {@code layout}, at offset 0 of a segment of that layout. */
    static VarHandle field(StructLayout layout, String name) {
        return MethodHandles.insertCoordinates(layout.varHandle(MemoryLayout.PathElement.groupElement(name)), 1, 0L);
    }

    private CApi() {
    }

    private static MethodHandle required(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(LOOKUP.find(name)
                .orElseThrow(() -> new IllegalStateException("libpython " + LibPython.loaded() + " has no " + name)), descriptor);
    }

    private static MethodHandle optional(String name, FunctionDescriptor descriptor) {
        return LOOKUP.find(name).map(symbol -> LINKER.downcallHandle(symbol, descriptor)).orElse(null);
    }

    private static RuntimeException fail(String name, Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("downcall " + name + " failed", t);
    }

    /** The address a data symbol has ({@code &_Py_NoneStruct}). */
    private static MemorySegment dataAddress(String name) {
        return LOOKUP.find(name).orElseThrow(() -> new IllegalStateException("libpython has no " + name));
    }

    /** The pointer a {@code PyObject *} variable holds ({@code PyExc_ValueError}). */
    private static MemorySegment dataPointer(String name) {
        return dataAddress(name).reinterpret(ValueLayout.ADDRESS.byteSize()).get(ValueLayout.ADDRESS, 0);
    }

    // Singletons and types, compared by address: immortal objects, never released.
    static final MemorySegment Py_None = dataAddress("_Py_NoneStruct");
    static final MemorySegment Py_True = dataAddress("_Py_TrueStruct");
    static final MemorySegment PyBool_Type = dataAddress("PyBool_Type");
    static final MemorySegment PyLong_Type = dataAddress("PyLong_Type");
    static final MemorySegment PyFloat_Type = dataAddress("PyFloat_Type");
    static final MemorySegment PyUnicode_Type = dataAddress("PyUnicode_Type");
    static final MemorySegment PyBytes_Type = dataAddress("PyBytes_Type");
    static final MemorySegment PyList_Type = dataAddress("PyList_Type");
    static final MemorySegment PyTuple_Type = dataAddress("PyTuple_Type");
    static final MemorySegment PyDict_Type = dataAddress("PyDict_Type");
    static final MemorySegment PySet_Type = dataAddress("PySet_Type");
    static final MemorySegment PyFrozenSet_Type = dataAddress("PyFrozenSet_Type");
    static final MemorySegment PyExc_RuntimeError = dataPointer("PyExc_RuntimeError");
    static final MemorySegment PyExc_KeyboardInterrupt = dataPointer("PyExc_KeyboardInterrupt");
    static final MemorySegment PyExc_MemoryError = dataPointer("PyExc_MemoryError");
    static final MemorySegment PyExc_SystemExit = dataPointer("PyExc_SystemExit");
    static final MemorySegment PyExc_TypeError = dataPointer("PyExc_TypeError");
    static final MemorySegment PyExc_ValueError = dataPointer("PyExc_ValueError");
    static final MemorySegment PyExc_AttributeError = dataPointer("PyExc_AttributeError");

    /** {@code Py_TYPE(o)}, read through {@link #PY_OBJECT}. */
    static MemorySegment typeOf(MemorySegment object) {
        return object.reinterpret(PY_OBJECT.byteSize()).get(ValueLayout.ADDRESS, OB_TYPE_OFFSET);
    }

    private static final MethodHandle H_Py_NewInterpreterFromConfig = required("Py_NewInterpreterFromConfig",
            FunctionDescriptor.of(PY_STATUS, ValueLayout.ADDRESS, ValueLayout.ADDRESS));

    /**
     * {@code Py_NewInterpreterFromConfig(&tstate, config)}; the {@code PyStatus} is written into
     * memory from {@code arena}. On success the new interpreter's thread state is current.
     */
    static MemorySegment Py_NewInterpreterFromConfig(Arena arena, MemorySegment tstateOut, MemorySegment config) {
        try {
            return (MemorySegment) H_Py_NewInterpreterFromConfig.invokeExact((java.lang.foreign.SegmentAllocator) arena, tstateOut, config);
        } catch (Throwable t) {
            throw fail("Py_NewInterpreterFromConfig", t);
        }
    }

    private static final MethodHandle H_Py_IsInitialized = required("Py_IsInitialized", FunctionDescriptor.of(ValueLayout.JAVA_INT));
    static int Py_IsInitialized() {
        try { return (int) H_Py_IsInitialized.invokeExact(); } catch (Throwable t) { throw fail("Py_IsInitialized", t); }
    }
    private static final MethodHandle H_Py_InitializeEx = required("Py_InitializeEx", FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT));
    static void Py_InitializeEx(int initsigs) {
        try { H_Py_InitializeEx.invokeExact(initsigs); } catch (Throwable t) { throw fail("Py_InitializeEx", t); }
    }
    private static final MethodHandle H_PyInitConfig_Create = optional("PyInitConfig_Create", FunctionDescriptor.of(ValueLayout.ADDRESS));
    static MemorySegment PyInitConfig_Create() {
        try { return (MemorySegment) H_PyInitConfig_Create.invokeExact(); } catch (Throwable t) { throw fail("PyInitConfig_Create", t); }
    }
    static boolean has_PyInitConfig_Create() { return H_PyInitConfig_Create != null; }
    private static final MethodHandle H_PyInitConfig_Free = optional("PyInitConfig_Free", FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
    static void PyInitConfig_Free(MemorySegment config) {
        try { H_PyInitConfig_Free.invokeExact(config); } catch (Throwable t) { throw fail("PyInitConfig_Free", t); }
    }
    private static final MethodHandle H_PyInitConfig_GetError = optional("PyInitConfig_GetError", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    static int PyInitConfig_GetError(MemorySegment config, MemorySegment errMsg) {
        try { return (int) H_PyInitConfig_GetError.invokeExact(config, errMsg); } catch (Throwable t) { throw fail("PyInitConfig_GetError", t); }
    }
    private static final MethodHandle H_PyInitConfig_SetInt = optional("PyInitConfig_SetInt", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    static int PyInitConfig_SetInt(MemorySegment config, MemorySegment name, long value) {
        try { return (int) H_PyInitConfig_SetInt.invokeExact(config, name, value); } catch (Throwable t) { throw fail("PyInitConfig_SetInt", t); }
    }
    private static final MethodHandle H_PyInitConfig_SetStr = optional("PyInitConfig_SetStr", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    static int PyInitConfig_SetStr(MemorySegment config, MemorySegment name, MemorySegment value) {
        try { return (int) H_PyInitConfig_SetStr.invokeExact(config, name, value); } catch (Throwable t) { throw fail("PyInitConfig_SetStr", t); }
    }
    private static final MethodHandle H_Py_InitializeFromInitConfig = optional("Py_InitializeFromInitConfig", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
    static int Py_InitializeFromInitConfig(MemorySegment config) {
        try { return (int) H_Py_InitializeFromInitConfig.invokeExact(config); } catch (Throwable t) { throw fail("Py_InitializeFromInitConfig", t); }
    }
    private static final MethodHandle H_Py_GetVersion = required("Py_GetVersion", FunctionDescriptor.of(ValueLayout.ADDRESS));
    static MemorySegment Py_GetVersion() {
        try { return (MemorySegment) H_Py_GetVersion.invokeExact(); } catch (Throwable t) { throw fail("Py_GetVersion", t); }
    }
    private static final MethodHandle H_PyEval_SaveThread = required("PyEval_SaveThread", FunctionDescriptor.of(ValueLayout.ADDRESS));
    static MemorySegment PyEval_SaveThread() {
        try { return (MemorySegment) H_PyEval_SaveThread.invokeExact(); } catch (Throwable t) { throw fail("PyEval_SaveThread", t); }
    }
    private static final MethodHandle H_PyEval_RestoreThread = required("PyEval_RestoreThread", FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
    static void PyEval_RestoreThread(MemorySegment tstate) {
        try { H_PyEval_RestoreThread.invokeExact(tstate); } catch (Throwable t) { throw fail("PyEval_RestoreThread", t); }
    }
    private static final MethodHandle H_PyGILState_Ensure = required("PyGILState_Ensure", FunctionDescriptor.of(ValueLayout.JAVA_INT));
    static int PyGILState_Ensure() {
        try { return (int) H_PyGILState_Ensure.invokeExact(); } catch (Throwable t) { throw fail("PyGILState_Ensure", t); }
    }
    private static final MethodHandle H_PyGILState_Release = required("PyGILState_Release", FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT));
    static void PyGILState_Release(int oldstate) {
        try { H_PyGILState_Release.invokeExact(oldstate); } catch (Throwable t) { throw fail("PyGILState_Release", t); }
    }
    private static final MethodHandle H_PyGILState_GetThisThreadState = required("PyGILState_GetThisThreadState", FunctionDescriptor.of(ValueLayout.ADDRESS));
    static MemorySegment PyGILState_GetThisThreadState() {
        try { return (MemorySegment) H_PyGILState_GetThisThreadState.invokeExact(); } catch (Throwable t) { throw fail("PyGILState_GetThisThreadState", t); }
    }
    private static final MethodHandle H_PyThreadState_New = required("PyThreadState_New", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    static MemorySegment PyThreadState_New(MemorySegment interp) {
        try { return (MemorySegment) H_PyThreadState_New.invokeExact(interp); } catch (Throwable t) { throw fail("PyThreadState_New", t); }
    }
    private static final MethodHandle H_PyThreadState_GetInterpreter = required("PyThreadState_GetInterpreter", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    static MemorySegment PyThreadState_GetInterpreter(MemorySegment tstate) {
        try { return (MemorySegment) H_PyThreadState_GetInterpreter.invokeExact(tstate); } catch (Throwable t) { throw fail("PyThreadState_GetInterpreter", t); }
    }
    private static final MethodHandle H_PyThreadState_GetUnchecked = required("PyThreadState_GetUnchecked", FunctionDescriptor.of(ValueLayout.ADDRESS));
    /** The thread state attached on this thread, or NULL; needs no GIL (3.13+). */
    static MemorySegment PyThreadState_GetUnchecked() {
        try { return (MemorySegment) H_PyThreadState_GetUnchecked.invokeExact(); } catch (Throwable t) { throw fail("PyThreadState_GetUnchecked", t); }
    }
    private static final MethodHandle H_PyThreadState_Clear = required("PyThreadState_Clear", FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
    static void PyThreadState_Clear(MemorySegment tstate) {
        try { H_PyThreadState_Clear.invokeExact(tstate); } catch (Throwable t) { throw fail("PyThreadState_Clear", t); }
    }
    private static final MethodHandle H_PyThreadState_Delete = required("PyThreadState_Delete", FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
    static void PyThreadState_Delete(MemorySegment tstate) {
        try { H_PyThreadState_Delete.invokeExact(tstate); } catch (Throwable t) { throw fail("PyThreadState_Delete", t); }
    }
    private static final MethodHandle H_PyThreadState_DeleteCurrent = required("PyThreadState_DeleteCurrent", FunctionDescriptor.ofVoid());
    static void PyThreadState_DeleteCurrent() {
        try { H_PyThreadState_DeleteCurrent.invokeExact(); } catch (Throwable t) { throw fail("PyThreadState_DeleteCurrent", t); }
    }
    private static final MethodHandle H_PyThreadState_SetAsyncExc = required("PyThreadState_SetAsyncExc", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
    static int PyThreadState_SetAsyncExc(long id, MemorySegment exc) {
        try { return (int) H_PyThreadState_SetAsyncExc.invokeExact(id, exc); } catch (Throwable t) { throw fail("PyThreadState_SetAsyncExc", t); }
    }
    private static final MethodHandle H_PyThread_get_thread_ident = required("PyThread_get_thread_ident", FunctionDescriptor.of(ValueLayout.JAVA_LONG));
    static long PyThread_get_thread_ident() {
        try { return (long) H_PyThread_get_thread_ident.invokeExact(); } catch (Throwable t) { throw fail("PyThread_get_thread_ident", t); }
    }
    private static final MethodHandle H_PyInterpreterState_Main = required("PyInterpreterState_Main", FunctionDescriptor.of(ValueLayout.ADDRESS));
    static MemorySegment PyInterpreterState_Main() {
        try { return (MemorySegment) H_PyInterpreterState_Main.invokeExact(); } catch (Throwable t) { throw fail("PyInterpreterState_Main", t); }
    }
    private static final MethodHandle H_PyInterpreterState_Get = required("PyInterpreterState_Get", FunctionDescriptor.of(ValueLayout.ADDRESS));
    static MemorySegment PyInterpreterState_Get() {
        try { return (MemorySegment) H_PyInterpreterState_Get.invokeExact(); } catch (Throwable t) { throw fail("PyInterpreterState_Get", t); }
    }
    private static final MethodHandle H_PyInterpreterState_ThreadHead = required("PyInterpreterState_ThreadHead", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    static MemorySegment PyInterpreterState_ThreadHead(MemorySegment interp) {
        try { return (MemorySegment) H_PyInterpreterState_ThreadHead.invokeExact(interp); } catch (Throwable t) { throw fail("PyInterpreterState_ThreadHead", t); }
    }
    private static final MethodHandle H_PyThreadState_Next = required("PyThreadState_Next", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    static MemorySegment PyThreadState_Next(MemorySegment tstate) {
        try { return (MemorySegment) H_PyThreadState_Next.invokeExact(tstate); } catch (Throwable t) { throw fail("PyThreadState_Next", t); }
    }
    private static final MethodHandle H_PyInterpreterState_GetID = required("PyInterpreterState_GetID", FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
    static long PyInterpreterState_GetID(MemorySegment interp) {
        try { return (long) H_PyInterpreterState_GetID.invokeExact(interp); } catch (Throwable t) { throw fail("PyInterpreterState_GetID", t); }
    }
    private static final MethodHandle H__PyInterpreterState_SetRunningMain = optional("_PyInterpreterState_SetRunningMain", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
    /** Marks {@code interp} as running on the calling thread: {@code _interpreters.destroy/exec} from other code then refuse it. */
    static int _PyInterpreterState_SetRunningMain(MemorySegment interp) {
        try { return (int) H__PyInterpreterState_SetRunningMain.invokeExact(interp); } catch (Throwable t) { throw fail("_PyInterpreterState_SetRunningMain", t); }
    }
    static boolean has__PyInterpreterState_SetRunningMain() { return H__PyInterpreterState_SetRunningMain != null && H__PyInterpreterState_SetNotRunningMain != null; }
    private static final MethodHandle H__PyInterpreterState_SetNotRunningMain = optional("_PyInterpreterState_SetNotRunningMain", FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
    static void _PyInterpreterState_SetNotRunningMain(MemorySegment interp) {
        try { H__PyInterpreterState_SetNotRunningMain.invokeExact(interp); } catch (Throwable t) { throw fail("_PyInterpreterState_SetNotRunningMain", t); }
    }
    private static final MethodHandle H_Py_EndInterpreter = required("Py_EndInterpreter", FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
    static void Py_EndInterpreter(MemorySegment tstate) {
        try { H_Py_EndInterpreter.invokeExact(tstate); } catch (Throwable t) { throw fail("Py_EndInterpreter", t); }
    }
    private static final MethodHandle H_Py_IncRef = required("Py_IncRef", FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
    static void Py_IncRef(MemorySegment o) {
        try { H_Py_IncRef.invokeExact(o); } catch (Throwable t) { throw fail("Py_IncRef", t); }
    }
    private static final MethodHandle H_Py_DecRef = required("Py_DecRef", FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
    static void Py_DecRef(MemorySegment o) {
        try { H_Py_DecRef.invokeExact(o); } catch (Throwable t) { throw fail("Py_DecRef", t); }
    }
    private static final MethodHandle H_Py_CompileString = required("Py_CompileString", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    static MemorySegment Py_CompileString(MemorySegment str, MemorySegment filename, int start) {
        try { return (MemorySegment) H_Py_CompileString.invokeExact(str, filename, start); } catch (Throwable t) { throw fail("Py_CompileString", t); }
    }
    private static final MethodHandle H_PyEval_EvalCode = required("PyEval_EvalCode", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    static MemorySegment PyEval_EvalCode(MemorySegment co, MemorySegment globals, MemorySegment locals) {
        try { return (MemorySegment) H_PyEval_EvalCode.invokeExact(co, globals, locals); } catch (Throwable t) { throw fail("PyEval_EvalCode", t); }
    }
    private static final MethodHandle H_PyDict_New = required("PyDict_New", FunctionDescriptor.of(ValueLayout.ADDRESS));
    static MemorySegment PyDict_New() {
        try { return (MemorySegment) H_PyDict_New.invokeExact(); } catch (Throwable t) { throw fail("PyDict_New", t); }
    }
    private static final MethodHandle H_PyDict_SetItem = required("PyDict_SetItem", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    static int PyDict_SetItem(MemorySegment p, MemorySegment key, MemorySegment val) {
        try { return (int) H_PyDict_SetItem.invokeExact(p, key, val); } catch (Throwable t) { throw fail("PyDict_SetItem", t); }
    }
    private static final MethodHandle H_PyDict_SetItemString = required("PyDict_SetItemString", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    static int PyDict_SetItemString(MemorySegment p, MemorySegment key, MemorySegment val) {
        try { return (int) H_PyDict_SetItemString.invokeExact(p, key, val); } catch (Throwable t) { throw fail("PyDict_SetItemString", t); }
    }
    private static final MethodHandle H_PyDict_GetItemString = required("PyDict_GetItemString", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    static MemorySegment PyDict_GetItemString(MemorySegment p, MemorySegment key) {
        try { return (MemorySegment) H_PyDict_GetItemString.invokeExact(p, key); } catch (Throwable t) { throw fail("PyDict_GetItemString", t); }
    }
    private static final MethodHandle H_PyDict_Next = required("PyDict_Next", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    static int PyDict_Next(MemorySegment p, MemorySegment ppos, MemorySegment pkey, MemorySegment pvalue) {
        try { return (int) H_PyDict_Next.invokeExact(p, ppos, pkey, pvalue); } catch (Throwable t) { throw fail("PyDict_Next", t); }
    }
    private static final MethodHandle H_PyDict_Size = required("PyDict_Size", FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
    static long PyDict_Size(MemorySegment p) {
        try { return (long) H_PyDict_Size.invokeExact(p); } catch (Throwable t) { throw fail("PyDict_Size", t); }
    }
    private static final MethodHandle H_PyImport_ImportModule = required("PyImport_ImportModule", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    static MemorySegment PyImport_ImportModule(MemorySegment name) {
        try { return (MemorySegment) H_PyImport_ImportModule.invokeExact(name); } catch (Throwable t) { throw fail("PyImport_ImportModule", t); }
    }
    private static final MethodHandle H_PyObject_GetAttrString = required("PyObject_GetAttrString", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    static MemorySegment PyObject_GetAttrString(MemorySegment o, MemorySegment attrName) {
        try { return (MemorySegment) H_PyObject_GetAttrString.invokeExact(o, attrName); } catch (Throwable t) { throw fail("PyObject_GetAttrString", t); }
    }
    private static final MethodHandle H_PyObject_SetAttrString = required("PyObject_SetAttrString", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    static int PyObject_SetAttrString(MemorySegment o, MemorySegment attrName, MemorySegment v) {
        try { return (int) H_PyObject_SetAttrString.invokeExact(o, attrName, v); } catch (Throwable t) { throw fail("PyObject_SetAttrString", t); }
    }
    private static final MethodHandle H_PyObject_Call = required("PyObject_Call", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    static MemorySegment PyObject_Call(MemorySegment callable, MemorySegment args, MemorySegment kwargs) {
        try { return (MemorySegment) H_PyObject_Call.invokeExact(callable, args, kwargs); } catch (Throwable t) { throw fail("PyObject_Call", t); }
    }
    private static final MethodHandle H_PyObject_CallObject = required("PyObject_CallObject", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    static MemorySegment PyObject_CallObject(MemorySegment callable, MemorySegment args) {
        try { return (MemorySegment) H_PyObject_CallObject.invokeExact(callable, args); } catch (Throwable t) { throw fail("PyObject_CallObject", t); }
    }
    private static final MethodHandle H_PyType_GetQualName = required("PyType_GetQualName", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    static MemorySegment PyType_GetQualName(MemorySegment type) {
        try { return (MemorySegment) H_PyType_GetQualName.invokeExact(type); } catch (Throwable t) { throw fail("PyType_GetQualName", t); }
    }
    private static final MethodHandle H_PyType_GetModuleName = optional("PyType_GetModuleName", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    static MemorySegment PyType_GetModuleName(MemorySegment type) {
        try { return (MemorySegment) H_PyType_GetModuleName.invokeExact(type); } catch (Throwable t) { throw fail("PyType_GetModuleName", t); }
    }
    static boolean has_PyType_GetModuleName() { return H_PyType_GetModuleName != null; }
    private static final MethodHandle H_PyList_SetSlice = required("PyList_SetSlice", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
    static int PyList_SetSlice(MemorySegment list, long low, long high, MemorySegment itemlist) {
        try { return (int) H_PyList_SetSlice.invokeExact(list, low, high, itemlist); } catch (Throwable t) { throw fail("PyList_SetSlice", t); }
    }
    private static final MethodHandle H_PyErr_ExceptionMatches = required("PyErr_ExceptionMatches", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
    static int PyErr_ExceptionMatches(MemorySegment exc) {
        try { return (int) H_PyErr_ExceptionMatches.invokeExact(exc); } catch (Throwable t) { throw fail("PyErr_ExceptionMatches", t); }
    }
    private static final MethodHandle H_PyObject_Str = required("PyObject_Str", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    static MemorySegment PyObject_Str(MemorySegment o) {
        try { return (MemorySegment) H_PyObject_Str.invokeExact(o); } catch (Throwable t) { throw fail("PyObject_Str", t); }
    }
    private static final MethodHandle H_PyObject_GetIter = required("PyObject_GetIter", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    static MemorySegment PyObject_GetIter(MemorySegment o) {
        try { return (MemorySegment) H_PyObject_GetIter.invokeExact(o); } catch (Throwable t) { throw fail("PyObject_GetIter", t); }
    }
    private static final MethodHandle H_PyIter_Next = required("PyIter_Next", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    static MemorySegment PyIter_Next(MemorySegment o) {
        try { return (MemorySegment) H_PyIter_Next.invokeExact(o); } catch (Throwable t) { throw fail("PyIter_Next", t); }
    }
    private static final MethodHandle H_PyType_GetFlags = required("PyType_GetFlags", FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
    static long PyType_GetFlags(MemorySegment type) {
        try { return (long) H_PyType_GetFlags.invokeExact(type); } catch (Throwable t) { throw fail("PyType_GetFlags", t); }
    }
    private static final MethodHandle H_PyType_IsSubtype = required("PyType_IsSubtype", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    static int PyType_IsSubtype(MemorySegment a, MemorySegment b) {
        try { return (int) H_PyType_IsSubtype.invokeExact(a, b); } catch (Throwable t) { throw fail("PyType_IsSubtype", t); }
    }
    private static final MethodHandle H_PyErr_Occurred = required("PyErr_Occurred", FunctionDescriptor.of(ValueLayout.ADDRESS));
    static MemorySegment PyErr_Occurred() {
        try { return (MemorySegment) H_PyErr_Occurred.invokeExact(); } catch (Throwable t) { throw fail("PyErr_Occurred", t); }
    }
    private static final MethodHandle H_PyErr_GetRaisedException = required("PyErr_GetRaisedException", FunctionDescriptor.of(ValueLayout.ADDRESS));
    static MemorySegment PyErr_GetRaisedException() {
        try { return (MemorySegment) H_PyErr_GetRaisedException.invokeExact(); } catch (Throwable t) { throw fail("PyErr_GetRaisedException", t); }
    }
    private static final MethodHandle H_PyErr_Clear = required("PyErr_Clear", FunctionDescriptor.ofVoid());
    static void PyErr_Clear() {
        try { H_PyErr_Clear.invokeExact(); } catch (Throwable t) { throw fail("PyErr_Clear", t); }
    }
    private static final MethodHandle H_PyImport_GetModuleDict = required("PyImport_GetModuleDict", FunctionDescriptor.of(ValueLayout.ADDRESS));
    /** {@code sys.modules} of the current interpreter (borrowed). */
    static MemorySegment PyImport_GetModuleDict() {
        try { return (MemorySegment) H_PyImport_GetModuleDict.invokeExact(); } catch (Throwable t) { throw fail("PyImport_GetModuleDict", t); }
    }
    private static final MethodHandle H_PyThreadState_Get = required("PyThreadState_Get", FunctionDescriptor.of(ValueLayout.ADDRESS));
    /** The current thread state (attached). */
    static MemorySegment PyThreadState_Get() {
        try { return (MemorySegment) H_PyThreadState_Get.invokeExact(); } catch (Throwable t) { throw fail("PyThreadState_Get", t); }
    }
    private static final MethodHandle H_PyUnstable_ThreadState_SetStackProtection = optional("PyUnstable_ThreadState_SetStackProtection",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    /** {@code PyUnstable_ThreadState_SetStackProtection(tstate, stack_start_addr, stack_size)} (3.14+): the lowest usable address and the size above it. */
    static int PyUnstable_ThreadState_SetStackProtection(MemorySegment tstate, MemorySegment stackStartAddr, long stackSize) {
        try { return (int) H_PyUnstable_ThreadState_SetStackProtection.invokeExact(tstate, stackStartAddr, stackSize); } catch (Throwable t) { throw fail("PyUnstable_ThreadState_SetStackProtection", t); }
    }
    static boolean has_PyUnstable_ThreadState_SetStackProtection() { return H_PyUnstable_ThreadState_SetStackProtection != null; }
    private static final MethodHandle H_PyCFunction_NewEx = required("PyCFunction_NewEx", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    /** {@code PyCFunction_NewEx(ml, self, module)}: a builtin function for the {@code PyMethodDef} at {@code ml} (which must outlive it). */
    static MemorySegment PyCFunction_NewEx(MemorySegment ml, MemorySegment self, MemorySegment module) {
        try { return (MemorySegment) H_PyCFunction_NewEx.invokeExact(ml, self, module); } catch (Throwable t) { throw fail("PyCFunction_NewEx", t); }
    }
    private static final MethodHandle H_PyErr_SetString = required("PyErr_SetString", FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    static void PyErr_SetString(MemorySegment type, MemorySegment message) {
        try { H_PyErr_SetString.invokeExact(type, message); } catch (Throwable t) { throw fail("PyErr_SetString", t); }
    }
    private static final MethodHandle H_PyLong_FromLongLong = required("PyLong_FromLongLong", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    static MemorySegment PyLong_FromLongLong(long v) {
        try { return (MemorySegment) H_PyLong_FromLongLong.invokeExact(v); } catch (Throwable t) { throw fail("PyLong_FromLongLong", t); }
    }
    private static final MethodHandle H_PyLong_FromString = required("PyLong_FromString", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    static MemorySegment PyLong_FromString(MemorySegment str, MemorySegment pend, int base) {
        try { return (MemorySegment) H_PyLong_FromString.invokeExact(str, pend, base); } catch (Throwable t) { throw fail("PyLong_FromString", t); }
    }
    private static final MethodHandle H_PyNumber_ToBase = required("PyNumber_ToBase", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    static MemorySegment PyNumber_ToBase(MemorySegment n, int base) {
        try { return (MemorySegment) H_PyNumber_ToBase.invokeExact(n, base); } catch (Throwable t) { throw fail("PyNumber_ToBase", t); }
    }
    private static final MethodHandle H_PyFloat_FromDouble = required("PyFloat_FromDouble", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_DOUBLE));
    static MemorySegment PyFloat_FromDouble(double v) {
        try { return (MemorySegment) H_PyFloat_FromDouble.invokeExact(v); } catch (Throwable t) { throw fail("PyFloat_FromDouble", t); }
    }
    private static final MethodHandle H_PyFloat_AsDouble = required("PyFloat_AsDouble", FunctionDescriptor.of(ValueLayout.JAVA_DOUBLE, ValueLayout.ADDRESS));
    static double PyFloat_AsDouble(MemorySegment pyfloat) {
        try { return (double) H_PyFloat_AsDouble.invokeExact(pyfloat); } catch (Throwable t) { throw fail("PyFloat_AsDouble", t); }
    }
    private static final MethodHandle H_PyBool_FromLong = required("PyBool_FromLong", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    static MemorySegment PyBool_FromLong(long v) {
        try { return (MemorySegment) H_PyBool_FromLong.invokeExact(v); } catch (Throwable t) { throw fail("PyBool_FromLong", t); }
    }
    private static final MethodHandle H_PyUnicode_FromStringAndSize = required("PyUnicode_FromStringAndSize", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    static MemorySegment PyUnicode_FromStringAndSize(MemorySegment str, long size) {
        try { return (MemorySegment) H_PyUnicode_FromStringAndSize.invokeExact(str, size); } catch (Throwable t) { throw fail("PyUnicode_FromStringAndSize", t); }
    }
    private static final MethodHandle H_PyUnicode_AsUTF8AndSize = required("PyUnicode_AsUTF8AndSize", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    static MemorySegment PyUnicode_AsUTF8AndSize(MemorySegment unicode, MemorySegment size) {
        try { return (MemorySegment) H_PyUnicode_AsUTF8AndSize.invokeExact(unicode, size); } catch (Throwable t) { throw fail("PyUnicode_AsUTF8AndSize", t); }
    }
    private static final MethodHandle H_PyUnicode_DecodeUTF16 = required("PyUnicode_DecodeUTF16", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    static MemorySegment PyUnicode_DecodeUTF16(MemorySegment str, long size, MemorySegment errors, MemorySegment byteorder) {
        try { return (MemorySegment) H_PyUnicode_DecodeUTF16.invokeExact(str, size, errors, byteorder); } catch (Throwable t) { throw fail("PyUnicode_DecodeUTF16", t); }
    }
    private static final MethodHandle H_PyUnicode_AsEncodedString = required("PyUnicode_AsEncodedString", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    static MemorySegment PyUnicode_AsEncodedString(MemorySegment unicode, MemorySegment encoding, MemorySegment errors) {
        try { return (MemorySegment) H_PyUnicode_AsEncodedString.invokeExact(unicode, encoding, errors); } catch (Throwable t) { throw fail("PyUnicode_AsEncodedString", t); }
    }
    private static final MethodHandle H_PyBytes_FromStringAndSize = required("PyBytes_FromStringAndSize", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    static MemorySegment PyBytes_FromStringAndSize(MemorySegment v, long len) {
        try { return (MemorySegment) H_PyBytes_FromStringAndSize.invokeExact(v, len); } catch (Throwable t) { throw fail("PyBytes_FromStringAndSize", t); }
    }
    private static final MethodHandle H_PyBytes_AsStringAndSize = required("PyBytes_AsStringAndSize", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    static int PyBytes_AsStringAndSize(MemorySegment obj, MemorySegment buffer, MemorySegment length) {
        try { return (int) H_PyBytes_AsStringAndSize.invokeExact(obj, buffer, length); } catch (Throwable t) { throw fail("PyBytes_AsStringAndSize", t); }
    }
    private static final MethodHandle H_PyList_New = required("PyList_New", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    static MemorySegment PyList_New(long len) {
        try { return (MemorySegment) H_PyList_New.invokeExact(len); } catch (Throwable t) { throw fail("PyList_New", t); }
    }
    private static final MethodHandle H_PyList_SetItem = required("PyList_SetItem", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
    static int PyList_SetItem(MemorySegment list, long index, MemorySegment item) {
        try { return (int) H_PyList_SetItem.invokeExact(list, index, item); } catch (Throwable t) { throw fail("PyList_SetItem", t); }
    }
    private static final MethodHandle H_PyList_Size = required("PyList_Size", FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
    static long PyList_Size(MemorySegment list) {
        try { return (long) H_PyList_Size.invokeExact(list); } catch (Throwable t) { throw fail("PyList_Size", t); }
    }
    private static final MethodHandle H_PyList_GetItem = required("PyList_GetItem", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    static MemorySegment PyList_GetItem(MemorySegment list, long index) {
        try { return (MemorySegment) H_PyList_GetItem.invokeExact(list, index); } catch (Throwable t) { throw fail("PyList_GetItem", t); }
    }
    private static final MethodHandle H_PyTuple_New = required("PyTuple_New", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    static MemorySegment PyTuple_New(long len) {
        try { return (MemorySegment) H_PyTuple_New.invokeExact(len); } catch (Throwable t) { throw fail("PyTuple_New", t); }
    }
    private static final MethodHandle H_PyTuple_SetItem = required("PyTuple_SetItem", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
    static int PyTuple_SetItem(MemorySegment p, long pos, MemorySegment o) {
        try { return (int) H_PyTuple_SetItem.invokeExact(p, pos, o); } catch (Throwable t) { throw fail("PyTuple_SetItem", t); }
    }
    private static final MethodHandle H_PyTuple_Size = required("PyTuple_Size", FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
    static long PyTuple_Size(MemorySegment p) {
        try { return (long) H_PyTuple_Size.invokeExact(p); } catch (Throwable t) { throw fail("PyTuple_Size", t); }
    }
    private static final MethodHandle H_PyTuple_GetItem = required("PyTuple_GetItem", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    static MemorySegment PyTuple_GetItem(MemorySegment p, long pos) {
        try { return (MemorySegment) H_PyTuple_GetItem.invokeExact(p, pos); } catch (Throwable t) { throw fail("PyTuple_GetItem", t); }
    }
    private static final MethodHandle H_PySet_New = required("PySet_New", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    static MemorySegment PySet_New(MemorySegment iterable) {
        try { return (MemorySegment) H_PySet_New.invokeExact(iterable); } catch (Throwable t) { throw fail("PySet_New", t); }
    }
    private static final MethodHandle H_PySet_Add = required("PySet_Add", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    static int PySet_Add(MemorySegment set, MemorySegment key) {
        try { return (int) H_PySet_Add.invokeExact(set, key); } catch (Throwable t) { throw fail("PySet_Add", t); }
    }
    private static final MethodHandle H_PyLong_AsLongLong = required("PyLong_AsLongLong", FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
    static long PyLong_AsLongLong(MemorySegment obj) {
        try { return (long) H_PyLong_AsLongLong.invokeExact(obj); } catch (Throwable t) { throw fail("PyLong_AsLongLong", t); }
    }
    private static final MethodHandle H_PyImport_GetModule = required("PyImport_GetModule", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    static MemorySegment PyImport_GetModule(MemorySegment name) {
        try { return (MemorySegment) H_PyImport_GetModule.invokeExact(name); } catch (Throwable t) { throw fail("PyImport_GetModule", t); }
    }
    private static final MethodHandle H_PySet_Discard = required("PySet_Discard", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    static int PySet_Discard(MemorySegment set, MemorySegment key) {
        try { return (int) H_PySet_Discard.invokeExact(set, key); } catch (Throwable t) { throw fail("PySet_Discard", t); }
    }
    private static final MethodHandle H_PySet_Contains = required("PySet_Contains", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    static int PySet_Contains(MemorySegment anyset, MemorySegment key) {
        try { return (int) H_PySet_Contains.invokeExact(anyset, key); } catch (Throwable t) { throw fail("PySet_Contains", t); }
    }

    // ---- buffers (issue 14): memory shared between Java and Python without a copy ----

    /** {@code Py_buffer} of CPython 3.12 to 3.14 (Include/pybuffer.h). */
    public static final StructLayout PY_BUFFER = MemoryLayout.structLayout(
            ValueLayout.ADDRESS.withName("buf"), ValueLayout.ADDRESS.withName("obj"),
            ValueLayout.JAVA_LONG.withName("len"), ValueLayout.JAVA_LONG.withName("itemsize"),
            ValueLayout.JAVA_INT.withName("readonly"), ValueLayout.JAVA_INT.withName("ndim"),
            ValueLayout.ADDRESS.withName("format"), ValueLayout.ADDRESS.withName("shape"),
            ValueLayout.ADDRESS.withName("strides"), ValueLayout.ADDRESS.withName("suboffsets"),
            ValueLayout.ADDRESS.withName("internal"));
    private static final MethodHandle H_PyMemoryView_FromMemory = required("PyMemoryView_FromMemory", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    /** A memoryview over {@code size} bytes at {@code mem} that owns nothing; {@code flags}: PyBUF_READ or PyBUF_WRITE. */
    public static MemorySegment PyMemoryView_FromMemory(MemorySegment mem, long size, int flags) {
        try { return (MemorySegment) H_PyMemoryView_FromMemory.invokeExact(mem, size, flags); } catch (Throwable t) { throw fail("PyMemoryView_FromMemory", t); }
    }
    private static final MethodHandle H_PyObject_GetBuffer = required("PyObject_GetBuffer", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    public static int PyObject_GetBuffer(MemorySegment exporter, MemorySegment view, int flags) {
        try { return (int) H_PyObject_GetBuffer.invokeExact(exporter, view, flags); } catch (Throwable t) { throw fail("PyObject_GetBuffer", t); }
    }
    private static final MethodHandle H_PyBuffer_Release = required("PyBuffer_Release", FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
    public static void PyBuffer_Release(MemorySegment view) {
        try { H_PyBuffer_Release.invokeExact(view); } catch (Throwable t) { throw fail("PyBuffer_Release", t); }
    }
}
