package io.pyhost.core.interop;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;

import io.pyhost.api.PyException;
import io.pyhost.core.bridge.JavaErrors;
import io.pyhost.core.bridge.Namespace;
import io.pyhost.core.bridge.PyRef;
import io.pyhost.core.bridge.PythonInterpreter;
import io.pyhost.core.bridge.StackGuard;
import io.pyhost.core.bridge.Upcall;
import io.pyhost.core.bridge.Upcall.ErrorType;
import io.pyhost.core.bridge.Values;

/**
 * The built-in {@code pyhost} module (pyhost_module.py): made in every interpreter pyhost uses,
 * before its first context, and put in that interpreter's {@code sys.modules}, so
 * {@code import pyhost} works in every mode without a preload. Nothing Python-level is shared
 * between interpreters: each gets its own module, classes and functions.
 *
 * <p>Its one way into Java is {@code _raw(op, ...)}, the bridge's {@link Upcall} function, answered
 * by {@link #raw} (see {@link #retire}). The upcall never lets an exception escape (that ends the
 * JVM) and must only run on threads whose stack CPython keeps {@link StackGuard#RESERVE} clear of
 * (docs/interop-design.md): the Python side checks that the thread is ready before it calls
 * {@code _raw}.
 */
public final class PyhostModule {
    private static final String NAMESPACE = "pyhost.module";
    private static final String MODULE = "pyhost.module.object";
    private static final String MODULE_NAME = "pyhost";
    private static final int OP_GUARD = 0;
    private static final int OP_CALL = 1;
    private static final int OP_FUNCTIONS = 2;
    private static final int OP_INVOKE = 3;
    private static final int OP_SERVICES = 4;
    private static final int OP_REGISTER = 5;
    private static final int OP_UNREGISTER = 6;
    private static final int OP_OUTPUT = 7;
    private static final int OP_LOG = 8;
    /** Arguments each operation takes, the operation included. */
    private static final int[] ARITY = {1, 4, 1, 4, 5, 4, 2, 3, 6};
    private static final String PENDING_OUTPUT = "pyhost.module.pending_output";
    private static final String PENDING_LOGS = "pyhost.module.pending_logs";
    private static final ThreadLocal<Set<PythonInterpreter>> READY =
            ThreadLocal.withInitial(() -> Collections.newSetFromMap(new WeakHashMap<>()));

    /** Counts OP_CALL upcalls (racy across threads, which is fine: it only spaces out the draining). */
    private static int upcalls;

    /** Hosts of registrations made on threads that run no context call (a sub-interpreter's Python threads). */
    private static final Map<PythonInterpreter, PythonHost> INTERPRETER_HOSTS = new ConcurrentHashMap<>();

    /** What {@code _raw} calls while this core runs. */
    private static final Upcall.Handler HANDLER = new Upcall.Handler() {
        @Override
        public Object handle(Upcall.Arguments arguments) {
            return raw(arguments);
        }

        @Override
        public Object failed(Throwable t) {
            return PyhostModule.failed(t);
        }
    };

    static {
        Values.setForeign(JavaObjects.INSTANCE); // Java objects the value table does not convert become pyhost.JavaObject
        activate();
    }

    /**
     * Points the upcall stub at this core ({@link #retire} points it away). Called at each start of
     * core: a core stopped and started again without a refresh keeps its classes, so this class's
     * static initializer does not run again.
     */
    public static void activate() {
        Upcall.install(HANDLER);
    }

    private PyhostModule() {
    }

    /** The interpreter whose GIL the current thread holds, if pyhost made its module; else null. GIL held. */
    static PythonInterpreter here() {
        PythonInterpreter in = PythonInterpreter.attached();
        return in == null || in.attachment(NAMESPACE) == null ? null : in;
    }

    /** A new reference to a function of {@code in}'s module namespace. GIL held. */
    static PyRef function(PythonInterpreter in, String name) {
        PyRef namespace = in.attachment(NAMESPACE);
        PyRef f = namespace == null ? null : namespace.getItem(name);
        if (f == null) {
            throw new IllegalStateException("the pyhost module of this interpreter has no " + name);
        }
        return f;
    }

    /**
     * Names the host of {@code in}'s registrations made outside a context call (the one context of
     * a sub-interpreter); null removes it.
     */
    public static void setInterpreterHost(PythonInterpreter in, PythonHost host) {
        if (host == null) {
            INTERPRETER_HOSTS.remove(in);
        } else {
            INTERPRETER_HOSTS.put(in, host);
        }
    }

    /**
     * Called once when this core stops, while CPython lives on for the next core (a restart or a
     * refresh): in {@code main} it puts back what the module replaced (thread starts,
     * {@code sys.stdout}/{@code stderr}, the logging hook and handler, {@code sys.modules['pyhost']};
     * bounded by {@code bound}, C code may hold the GIL), then points the upcall stub at
     * {@link #RETIRED}. A Python object of this core still held somewhere (a thread running in a
     * sub-interpreter that could not be ended) then gets a {@code SystemError} from {@code _raw}
     * instead of running this core's code. The next core's module replaces anything left
     * (wrappers are found by {@code _pyhost_original}, never stacked).
     */
    public static void retire(PythonInterpreter main, java.time.Duration bound) {
        try {
            // a registered call: Python that hangs in it (a logging lock held for ever) is interrupted past the bound
            main.call(new io.pyhost.core.bridge.InflightCall(), bound, in -> {
                PyRef namespace = in.attachment(NAMESPACE);
                try (PyRef retire = namespace == null ? null : namespace.getItem("_retire")) {
                    if (retire != null) {
                        retire.callObject(null, null).close();
                    }
                } catch (PyException refused) {
                    // nothing to undo, or Python refused: the next core replaces it all anyway
                }
                return null;
            });
        } catch (RuntimeException busy) {
            // C code holds the main GIL past the bound: the next core's module replaces what is left
        }
        Upcall.retire();
    }

    /**
     * Makes the module in {@code in} if this core has not yet (GIL held, on a thread of that
     * interpreter), and marks the current thread ready for calls into Java.
     */
    public static void ensure(PythonInterpreter in) {
        if (in.attachment(NAMESPACE) == null) {
            PyRef namespace = install(in);
            in.attach(NAMESPACE, namespace);
            in.attach(MODULE, required(Namespace.importedModule(in, MODULE_NAME), "sys.modules['pyhost']"));
            for (String[] kept : new String[][] {{"JavaObject", JavaObjects.TYPE_KEY}, {"_released", JavaObjects.RELEASED_KEY},
                    {"_pending_output", PENDING_OUTPUT}, {"_pending_logs", PENDING_LOGS}}) {
                in.attach(kept[1], required(namespace.getItem(kept[0]), kept[0]));
            }
        }
        prepareThread(in);
    }

    private static PyRef required(PyRef ref, String what) {
        if (ref == null) {
            throw new IllegalStateException("pyhost_module.py made no " + what);
        }
        return ref;
    }

    /**
     * What every call into {@code in} does first, GIL held: prepares the thread for calls into
     * Java ({@link #prepareThread}, once per thread) and keeps the module importable and its
     * queues drained ({@link #keepImportable}).
     */
    public static void beforeCall(PythonInterpreter in) {
        prepareThread(in);
        keepImportable(in);
    }

    /**
     * Puts the module back into {@code sys.modules} if Python took it out or replaced it (in
     * worker mode one context could otherwise break or hijack {@code import pyhost} for all).
     * Two lookups per call; GIL held.
     */
    public static void keepImportable(PythonInterpreter in) {
        PyRef module = in.attachment(MODULE);
        if (module == null) {
            return;
        }
        Namespace.keepInSysModules(MODULE_NAME, module);
        JavaObjects.INSTANCE.drain(in);
        drainPending(in);
    }

    /**
     * Guards the calling thread's stack and marks it ready in {@code in}'s module, once per thread
     * and interpreter (GIL held). A thread whose stack cannot be guarded stays unready: its
     * {@code pyhost} calls are refused in Python, before any upcall.
     */
    public static void prepareThread(PythonInterpreter in) {
        Set<PythonInterpreter> ready = READY.get();
        if (ready.contains(in)) {
            return;
        }
        PyRef namespace = in.attachment(NAMESPACE);
        if (namespace == null || !StackGuard.guardCurrentThread()) {
            return;
        }
        try (PyRef mark = namespace.getItem("_mark_ready")) {
            if (mark == null) {
                return;
            }
            mark.callObject(null, null).close();
        } catch (PyException refused) {
            return;
        }
        ready.add(in);
    }

    /** The module's Python half, pyhost_module.py (also run by contexts outside this JVM: {@link ProvidedJavaAccess}). */
    static String source() {
        try (var stream = PyhostModule.class.getResourceAsStream("pyhost_module.py")) {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
        } catch (java.io.IOException | NullPointerException e) {
            throw new IllegalStateException("pyhost_module.py is missing from core", e);
        }
    }

    /** Runs pyhost_module.py in a new namespace holding {@code _raw}; returns the namespace (owned). */
    private static PyRef install(PythonInterpreter in) {
        String source = source();
        PyRef namespace = Namespace.create(in);
        try {
            try (PyRef raw = Upcall.newFunction(in)) {
                namespace.setItem("_raw", raw);
            }
            namespace.setItem("__name__", "pyhost");
            Namespace.execFile(namespace, source, "<pyhost>");
        } catch (RuntimeException e) {
            namespace.close();
            throw e;
        }
        return namespace;
    }

    // ---- the upcall ----

    /**
     * {@code _raw(op, ...)}, the GIL held by the calling thread: the answer for Python (see
     * {@link Upcall.Handler#handle}); what it throws reaches Python through {@link #failed}.
     */
    private static Object raw(Upcall.Arguments args) {
        // _raw is reachable from Python (pyhost.call.__globals__): its arguments are untrusted.
        long count = args.count();
        if (count < 1) {
            return fail(ErrorType.TYPE_ERROR, "pyhost: _raw needs an operation");
        }
        long op = args.longValue(0); // not an int, or out of range: raised
        if (op < 0 || op >= ARITY.length) {
            return fail(ErrorType.TYPE_ERROR, "pyhost: unknown operation " + op);
        }
        if (count != ARITY[(int) op]) {
            return fail(ErrorType.TYPE_ERROR, "pyhost: operation " + op + " takes " + ARITY[(int) op] + " arguments, not " + count);
        }
        PythonInterpreter in = here();
        if (in != null && op != OP_GUARD && (op != OP_CALL || (++upcalls & 63) == 0)) {
            // what Python dropped or queued is taken at each context call (keepImportable); a
            // long loop of pyhost.call takes it every 64th upcall, so the hot path stays light
            JavaObjects.INSTANCE.drain(in);
            drainPending(in);
        }
        return switch ((int) op) {
            case OP_GUARD -> StackGuard.guardCurrentThread();
            case OP_FUNCTIONS -> FunctionRegistry.shared().names();
            case OP_CALL -> call(in, args);
            case OP_INVOKE -> invoke(in, args);
            case OP_SERVICES -> services(in, args);
            case OP_REGISTER -> register(in, args);
            case OP_UNREGISTER -> unregister(in, args);
            case OP_OUTPUT -> output(in, args);
            default -> log(in, args);
        };
    }

    /** What Python gets for what {@link #raw} (or converting its answer) threw. Never throws. */
    private static Object failed(Throwable thrown) {
        try {
            return switch (thrown) {
                case Values.ConversionException e -> Upcall.RAISED; // a Python exception is set
                case JavaMethods.NoSuchCall e -> fail(ErrorType.TYPE_ERROR, e.getMessage());
                case IllegalArgumentException e -> fail(ErrorType.TYPE_ERROR, "pyhost: " + e.getMessage());
                default -> fail(ErrorType.RUNTIME_ERROR, "pyhost: " + describe(thrown));
            };
        } catch (Throwable again) {
            again.addSuppressed(thrown);
            System.getLogger(PyhostModule.class.getName()).log(System.Logger.Level.WARNING, "pyhost: an upcall's failure could not be raised", again);
            return null; // nothing may leave an upcall; CPython reports a SystemError
        }
    }

    /** {@code t.toString()}, or its class name when that throws (a Java function's exception is untrusted code). */
    private static String describe(Throwable t) {
        try {
            return String.valueOf(t);
        } catch (Throwable undescribable) {
            return t.getClass().getName();
        }
    }

    /** {@code t.getMessage()}, or "" when it is null or throws. */
    private static String messageOf(Throwable t) {
        try {
            String message = t.getMessage();
            return message == null ? "" : message;
        } catch (Throwable undescribable) {
            return "";
        }
    }

    @SuppressWarnings("unchecked")
    private static Object call(PythonInterpreter in, Upcall.Arguments args) {
        if (!(args.value(1) instanceof String name)) {
            return fail(ErrorType.TYPE_ERROR, "pyhost: the function name must be a str");
        }
        if (!(args.items(2) instanceof List<?> positionalIn)) {
            return fail(ErrorType.TYPE_ERROR, "pyhost: the positional arguments must be a tuple");
        }
        Object keywordsIn = args.value(3); // None when there are none (no dict to walk)
        if (keywordsIn != null && (!(keywordsIn instanceof Map<?, ?> map) || !map.keySet().stream().allMatch(String.class::isInstance))) {
            return fail(ErrorType.TYPE_ERROR, "pyhost: the keyword arguments must be a dict with str keys");
        }
        List<Object> positional = (List<Object>) positionalIn;
        Map<String, Object> keywords = keywordsIn == null ? Map.of() : (Map<String, Object>) keywordsIn;
        FunctionRegistry.Entry entry = FunctionRegistry.shared().best(name);
        if (entry == null) {
            return unavailable("io.pyhost.api.PyFunction", "no function '" + name + "' is registered");
        }
        return answer(in, () -> entry.function().apply(positional, keywords));
    }

    /** {@code _raw(OP_INVOKE, ref, name, args)}: a method of a lent Java object or service. */
    @SuppressWarnings("unchecked")
    private static Object invoke(PythonInterpreter in, Upcall.Arguments args) {
        Object ref = args.value(1);
        Object name = args.value(2);
        Object positional = args.value(3);
        if (!(ref instanceof Long r) || !(name instanceof String method) || !(positional instanceof List<?> list)) {
            return fail(ErrorType.TYPE_ERROR, "pyhost: a Java method call needs a reference, a method name and a tuple of arguments");
        }
        JavaObjects.Lent lent = in == null ? null : JavaObjects.INSTANCE.find(in, r);
        if (lent == null) {
            return unavailable("java.lang.Object", "this Java object is no longer lent to Python");
        }
        try {
            lent.alive().run();
        } catch (JavaObjects.ServiceGone gone) {
            return unavailable(lent.label(), gone.getMessage());
        }
        return answer(in, () -> JavaMethods.invoke(lent.object(), lent.methods(), lent.label(), method, (List<Object>) list));
    }

    /** {@code _raw(OP_SERVICES, type, filter, timeoutMillis, one)}: proxies of exported services. */
    private static Object services(PythonInterpreter in, Upcall.Arguments args) {
        Object type = args.value(1);
        Object filter = args.value(2);
        Object timeout = args.value(3);
        Object one = args.value(4);
        if (!(type instanceof String typeName) || filter != null && !(filter instanceof String) || !(timeout instanceof Long millis)
                || millis < 0 || !(one instanceof Boolean single) || in == null) {
            return fail(ErrorType.TYPE_ERROR, "pyhost: a service lookup needs a type name, a filter or None, a timeout and a flag");
        }
        List<JavaObjects.Lent> found = new java.util.ArrayList<>();
        Throwable[] failure = new Throwable[1];
        offGil(in, () -> {
            try {
                for (var ref : ExportedServices.shared().find(typeName, (String) filter, millis, single)) {
                    try {
                        found.add(ExportedServices.shared().lend(ref, typeName));
                    } catch (ExportedServices.Unavailable left) {
                        // it left between lookup and get: the next one, if any
                    }
                    if (single && !found.isEmpty()) {
                        break;
                    }
                }
                if (single && found.isEmpty()) {
                    throw new ExportedServices.Unavailable("the service " + typeName + " left as it was looked up");
                }
            } catch (Throwable t) {
                failure[0] = t;
            }
        });
        if (failure[0] != null) {
            found.forEach(l -> l.release().run());
            return failure[0] instanceof ExportedServices.Unavailable u ? unavailable(typeName, u.getMessage())
                    : failure[0] instanceof IllegalArgumentException bad ? fail(ErrorType.VALUE_ERROR, "pyhost.service: " + bad.getMessage())
                    : fail(ErrorType.RUNTIME_ERROR, "pyhost: " + describe(failure[0]));
        }
        List<PyRef> standIns = new java.util.ArrayList<>(found.size());
        try {
            for (JavaObjects.Lent lent : found) {
                standIns.add(JavaObjects.INSTANCE.lend(in, lent));
            }
            return PyRef.of(in, standIns); // a list of the stand-ins themselves
        } finally {
            standIns.forEach(PyRef::close);
        }
    }

    /** {@code _raw(OP_REGISTER, names, obj, properties)}: a Python object becomes an OSGi service. */
    @SuppressWarnings("unchecked")
    private static Object register(PythonInterpreter in, Upcall.Arguments args) {
        Object names = args.value(1);
        Object properties = args.value(3); // the object, argument 2, is taken below as the registration's reference
        if (!(names instanceof List<?> list) || list.isEmpty() || !list.stream().allMatch(String.class::isInstance)
                || properties != null && !(properties instanceof Map<?, ?>) || in == null) {
            return fail(ErrorType.TYPE_ERROR, "pyhost: register needs interface names, an object and properties or None");
        }
        PythonHost host = PythonHost.current();
        if (host == null) {
            host = INTERPRETER_HOSTS.get(in);
        }
        if (host == null) {
            return fail(ErrorType.RUNTIME_ERROR, "pyhost.register: this thread runs no context's call, so no context would own the "
                    + "service (in worker mode, register from the context's own code, not from a thread it started)");
        }
        PythonHost owner = host;
        PyRef object = args.object(2, in); // the registration's own reference, from here on
        Object[] outcome = new Object[2];
        offGil(in, () -> {
            try {
                outcome[0] = PythonServices.shared().register(owner, (List<String>) list,
                        object, properties == null ? Map.of() : (Map<String, Object>) properties);
            } catch (Throwable t) {
                outcome[1] = t;
            }
        });
        if (outcome[1] != null) {
            object.close();
            Throwable t = (Throwable) outcome[1];
            return t instanceof ExportedServices.Unavailable u ? unavailable(String.valueOf(list), u.getMessage())
                    : t instanceof IllegalArgumentException bad ? fail(ErrorType.TYPE_ERROR, "pyhost.register: " + bad.getMessage())
                    : javaError(t, messageOf(t));
        }
        PythonServices.Registration r = (PythonServices.Registration) outcome[0];
        return List.of(r.token, PythonServices.serviceId(r));
    }

    /** The host the Python code on this thread belongs to, or null (a worker context's own thread). */
    private static PythonHost hostHere(PythonInterpreter in) {
        PythonHost host = PythonHost.current();
        return host != null || in == null ? host : INTERPRETER_HOSTS.get(in);
    }

    /** {@code _raw(OP_OUTPUT, error, lines)}: complete lines written to sys.stdout/sys.stderr. */
    private static Object output(PythonInterpreter in, Upcall.Arguments args) {
        Object error = args.value(1);
        Object lines = args.value(2);
        if (!(error instanceof Boolean toError) || !(lines instanceof List<?> list)) {
            return fail(ErrorType.TYPE_ERROR, "pyhost: output needs a flag and a list of lines");
        }
        PythonHost host = hostHere(in);
        offGil(in, () -> list.forEach(line -> printed(host, toError, String.valueOf(line)))); // a sink is application code
        return null;
    }

    private static void printed(PythonHost host, boolean error, String line) {
        try {
            if (host != null) {
                host.printed(error, line);
            } else {
                PythonLog.output("a thread of no context", error, line);
            }
        } catch (RuntimeException e) {
            // the log or a sink failed: output is never an error for the Python that printed
        }
    }

    /** {@code _raw(OP_LOG, logger, level, message, traceback, origin)}: a logging record. */
    private static Object log(PythonInterpreter in, Upcall.Arguments args) {
        Object[] fields = new Object[5];
        for (int i = 0; i < 5; i++) {
            fields[i] = args.value(i + 1);
        }
        if (!(fields[0] instanceof String) || !(fields[1] instanceof Long) || !(fields[2] instanceof String)
                || !(fields[3] instanceof String) || !(fields[4] instanceof String)) {
            return fail(ErrorType.TYPE_ERROR, "pyhost: a log record needs a logger name, a level, a message, a traceback and an origin");
        }
        PythonHost host = hostHere(in);
        offGil(in, () -> logged(host, fields));
        return null;
    }

    private static void logged(PythonHost host, Object[] f) {
        try {
            PythonLog.record(host == null ? "a thread of no context" : host.describe(), (String) f[0], (int) (long) (Long) f[1],
                    (String) f[2], (String) f[3], (String) f[4]);
        } catch (RuntimeException e) {
            // the log failed: logging is never an error for the Python that logged
        }
    }

    /**
     * Lines and records written on threads that cannot call Java (tiny stacks): taken at the next
     * call, delivered off the GIL (a sink is application code). GIL held; runs no Python code.
     */
    @SuppressWarnings("unchecked")
    private static void drainPending(PythonInterpreter in) {
        PyRef output = in.attachment(PENDING_OUTPUT);
        PyRef logs = in.attachment(PENDING_LOGS);
        if (output == null || logs == null || output.size() <= 0 && logs.size() <= 0) {
            return;
        }
        Object lines;
        Object records;
        try {
            lines = output.toJava();
            records = logs.toJava();
        } catch (RuntimeException e) {
            // Python put something odd there (its exception is cleared): dropped with the lists below
            lines = List.of();
            records = List.of();
        }
        output.clearList();
        logs.clearList();
        PythonHost host = hostHere(in);
        List<?> outputLines = lines instanceof List<?> l ? l : List.of();
        List<?> logRecords = records instanceof List<?> r ? r : List.of();
        Thread.ofVirtual().name("pyhost-output").start(() -> {
            for (Object item : outputLines) {
                if (item instanceof List<?> pair && pair.size() == 2 && pair.get(0) instanceof Boolean error) {
                    printed(host, error, String.valueOf(pair.get(1)));
                }
            }
            for (Object item : logRecords) {
                if (item instanceof List<?> record && record.size() == 5) {
                    Object[] fields = record.toArray();
                    if (fields[0] instanceof String && fields[1] instanceof Long && fields[2] instanceof String
                            && fields[3] instanceof String && fields[4] instanceof String) {
                        logged(host, fields);
                    }
                }
            }
        });
    }

    /** {@code _raw(OP_UNREGISTER, token)}. */
    private static Object unregister(PythonInterpreter in, Upcall.Arguments args) {
        Object token = args.value(1);
        PythonServices.Registration r = token instanceof Long t ? PythonServices.shared().find(t) : null;
        if (r != null && in != null) {
            offGil(in, () -> PythonServices.shared().unregister(r)); // consumers are told synchronously: they may still call in
            PythonServices.shared().releaseUnregistered(r);
        }
        return null;
    }

    /**
     * Runs Java {@code work} with the GIL released (re-entry runs inline), copies its result into
     * plain JDK types there, and answers Python with the value, or raises {@code pyhost.JavaError}
     * for a Java exception.
     */
    private static Object answer(PythonInterpreter in, JavaWork work) {
        Object[] outcome = new Object[4]; // result, Java exception, its message, a result that cannot be converted
        Runnable java = () -> {
            Object result;
            try {
                result = work.run();
            } catch (JavaMethods.NoSuchCall | JavaObjects.ServiceGone e) {
                outcome[1] = e;
                return;
            } catch (Throwable t) {
                outcome[1] = t;
                outcome[2] = messageOf(t); // user code too
                return;
            }
            try {
                // copied into plain JDK types here, with the GIL released: converting runs no user code
                // (a lazy collection's iterator() could otherwise hold the GIL, freezing every worker context)
                outcome[0] = PlainCopy.of(result);
            } catch (IllegalArgumentException unconvertible) {
                outcome[3] = unconvertible.getMessage();
            } catch (Throwable t) {
                outcome[1] = t;
                outcome[2] = messageOf(t);
            }
        };
        offGil(in, java); // the GIL is released while Java runs; re-entry runs inline
        if (outcome[3] != null) {
            return fail(ErrorType.TYPE_ERROR, "pyhost: " + outcome[3]);
        }
        if (outcome[1] instanceof JavaMethods.NoSuchCall noSuch) {
            return fail(ErrorType.TYPE_ERROR, noSuch.getMessage());
        }
        if (outcome[1] instanceof JavaObjects.ServiceGone gone) {
            return unavailable("service", gone.getMessage());
        }
        if (outcome[1] instanceof Throwable t) {
            return javaError(t, (String) outcome[2]);
        }
        return outcome[0]; // unknown objects become pyhost.JavaObject; refused ones: TypeError
    }

    /** Java code an upcall runs; whatever it throws reaches Python as pyhost.JavaError. */
    @FunctionalInterface
    private interface JavaWork {
        Object run() throws Throwable;
    }

    /** Runs Java {@code work} from an upcall with {@code in}'s GIL released ({@code in} null: as it is). */
    private static void offGil(PythonInterpreter in, Runnable work) {
        if (in == null) {
            work.run();
            return;
        }
        in.outsidePython(() -> {
            work.run();
            return null;
        });
    }

    /** Raises {@code pyhost.JavaError} for {@code t} (kept for the Java caller as the PyException's cause); returns NULL. */
    private static Object javaError(Throwable t, String message) {
        return raise(List.of(1, t.getClass().getName(), message, JavaErrors.keep(t)));
    }

    /** Raises {@code pyhost.ServiceUnavailable}; returns NULL. */
    private static Object unavailable(String type, String message) {
        return raise(List.of(2, type, message, 0L));
    }

    /** Calls the module's {@code _raise(kind, java_type, message, token)}, which raises; returns {@link Upcall#RAISED}. */
    private static Object raise(List<Object> arguments) {
        PythonInterpreter in = here();
        String otherwise = "pyhost: " + arguments.get(1) + ": " + arguments.get(2);
        if (in == null) {
            return fail(ErrorType.RUNTIME_ERROR, otherwise);
        }
        try (PyRef raise = function(in, "_raise")) {
            return Upcall.raiseBy(raise, arguments, otherwise); // _raise replaced by something that returns: raised anyway
        }
    }

    private static Object fail(ErrorType type, String message) {
        return Upcall.raise(type, message);
    }
}
