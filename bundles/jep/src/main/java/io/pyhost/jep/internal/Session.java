package io.pyhost.jep.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Array;
import java.lang.reflect.Type;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;

import io.pyhost.api.ContextFactory;
import io.pyhost.api.ContextOptions;
import io.pyhost.api.PyBuffer;
import io.pyhost.api.PyContext;
import io.pyhost.api.PyException;
import jep.ClassEnquirer;
import jep.DirectNDArray;
import jep.JepException;
import jep.python.PyCallable;
import jep.python.PyObject;

/**
 * One Jep interpreter on one pyhost context: what {@code jep.Jep} delegates to. Thread-safe (pyhost
 * serializes the context's calls); every failure reaches the caller as {@link JepException}.
 */
public final class Session {
    private static final String SOURCE = resource("jep_host.py");
    /** Run first in each new context: loads the module {@code jep} once per Python interpreter and binds {@code __jep__}. */
    private static final String BOOT = """
            def __jep_boot__(source, fname, mark, space, paths, dont_write_bytecode):
                import sys, types
                g = globals()
                del g['__jep_boot__']
                def current(m):
                    # made from this source under this core's pyhost module: a jep module left in the main
                    # interpreter by an earlier pyhost-jep or core (an update, a refresh) calls a retired core
                    return (getattr(m, '_LAYOUT', None) == 1 and getattr(m, '_pyhost_jep_source', None) == source
                            and getattr(m, 'pyhost', None) is sys.modules.get('pyhost'))
                m = sys.modules.get('jep')
                if not current(m):
                    m = types.ModuleType('jep')
                    m.__file__ = '<pyhost-jep>'
                    exec(compile(source, '<pyhost-jep>', 'exec'), m.__dict__)
                    m._pyhost_jep_source = source
                    other = sys.modules.get('jep')
                    if current(other):
                        m = other  # another thread loaded it meanwhile
                    else:
                        sys.modules['jep'] = m
                m._install(g, fname, mark, space, paths, dont_write_bytecode)
            """;
    /** Jep's message for a call on a closed interpreter. */
    public static final String CLOSED = "Jep instance has been closed.";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int KEPT_ERRORS = 32;

    /**
     * What an interpreter is made with.
     *
     * @param kind      {@code SharedInterpreter} or {@code SubInterpreter}, for messages
     * @param mode      the pyhost mode
     * @param loader    where Java classes come from
     * @param enquirer  which names are Java packages; null: the loader's bundle answers
     * @param caller    the class that made the interpreter (its bundle), or null
     */
    public record Settings(String kind, String mode, List<String> includePaths, ClassLoader loader, ClassEnquirer enquirer,
            Class<?> caller, OutputStream out, OutputStream err, Boolean dontWriteBytecode) {
    }

    private final String kind;
    private final PyContext ctx;
    private final Codec codec;
    private final String mark;
    private final ClassLoader loader;
    private final ClassEnquirer enquirer;
    private final String space;
    private final Runnable unregister;
    private final AtomicInteger running = new AtomicInteger();
    /**
     * Held through each whole Java-to-Python operation of this interpreter. pyhost serializes the
     * context's calls, but one Jep operation is several of them (the call, then taking a Python
     * object from the bridge's stash, then asking Jep's wording of an error), and the bridge's
     * state between them (its stash, its last error) is per interpreter: another thread's
     * operation in between cleared the stash (a {@code KeyError} from the stash instead of the
     * result) or took the error's text. Not taken by code that this interpreter's own running
     * call runs ({@link #INSIDE}): that code is part of the operation holding it.
     */
    private final java.util.concurrent.locks.ReentrantLock operation = new java.util.concurrent.locks.ReentrantLock();
    /** The interpreters whose operation (or a Java call from their Python) runs on this thread, innermost last. */
    private static final ThreadLocal<ArrayList<Session>> INSIDE = ThreadLocal.withInitial(ArrayList::new);
    /** close() was called by Java code that this interpreter's own running call runs: it ends when that call returns. */
    private final java.util.concurrent.atomic.AtomicBoolean closeWhenIdle = new java.util.concurrent.atomic.AtomicBoolean();
    private final Map<String, Throwable> thrown = java.util.Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Throwable> eldest) {
            return size() > KEPT_ERRORS;
        }
    });
    /** The numpy arrays behind DirectNDArrays taken from Python, by their buffer (identity), with the Python buffers held. */
    private final Map<Buffer, io.pyhost.api.PyObject> directArrays = java.util.Collections.synchronizedMap(new IdentityHashMap<>());
    private final List<PyBuffer> buffers = java.util.Collections.synchronizedList(new ArrayList<>());
    private volatile boolean closed;

    private Session(Settings s, PyContext ctx, String mark, ClassEnquirer enquirer, String space, String fname) {
        this.kind = s.kind();
        this.ctx = ctx;
        this.mark = mark;
        this.codec = new Codec(this, mark);
        this.loader = s.loader();
        this.enquirer = enquirer;
        this.space = space;
        this.unregister = fname == null ? null : Contexts.register(fname, new JepFunction(this));
    }

    /** Makes the context and readies it for Jep; a {@link JepException} saying what failed. */
    public static Session open(Settings s) {
        ContextFactory factory;
        try {
            factory = Contexts.factory();
        } catch (IllegalStateException e) {
            throw new JepException(s.kind() + " cannot be made: " + e.getMessage(), e);
        }
        ContextOptions options = ContextOptions.mode(s.mode()).withSandbox(false).withModeWait(Contexts.WAIT);
        if (s.out() != null || s.err() != null) {
            options = options.withOutput(lines(s.out()), lines(s.err() != null ? s.err() : s.out()));
        }
        PyContext ctx;
        try {
            ctx = factory.create(options);
        } catch (PyException e) {
            throw PythonError.of(e, null, null);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new JepException(s.kind() + " cannot be made: " + e.getMessage(), e);
        }
        try {
            BundleEnquirer fromBundle = new BundleEnquirer(s.loader(), s.caller());
            ClassEnquirer enquirer = s.enquirer() != null ? s.enquirer() : fromBundle;
            String mark = "\u001ejep:" + HexFormat.of().toHexDigits(RANDOM.nextLong()) + HexFormat.of().toHexDigits(RANDOM.nextLong());
            String fname = "_jep." + HexFormat.of().toHexDigits(RANDOM.nextLong()) + HexFormat.of().toHexDigits(RANDOM.nextLong());
            Session session = new Session(s, ctx, mark, enquirer, fromBundle.description(), fname);
            try {
                ctx.exec(BOOT);
                ctx.call(null, "__jep_boot__", Arrays.asList(SOURCE, session.unregister == null ? null : fname, mark,
                        fromBundle.description(), s.includePaths(), s.dontWriteBytecode()), null);
            } catch (RuntimeException e) {
                session.close();
                throw e;
            }
            return session;
        } catch (PyException e) {
            ctx.close();
            throw PythonError.of(e, null, null);
        } catch (RuntimeException e) {
            ctx.close();
            throw e instanceof JepException j ? j : new JepException(s.kind() + " cannot be made: " + e.getMessage(), e);
        }
    }

    private static Consumer<String> lines(OutputStream stream) {
        if (stream == null) {
            return null;
        }
        return line -> {
            try {
                synchronized (stream) {
                    stream.write((line + "\n").getBytes(StandardCharsets.UTF_8));
                    stream.flush();
                }
            } catch (IOException e) {
                // the stream's owner closed it; Python's output is dropped, as a closed sys.stdout would
            }
        };
    }

    Codec codec() {
        return codec;
    }

    /** Where Java classes come from. */
    public ClassLoader classLoader() {
        return loader;
    }

    /** The pyhost mode of the context. */
    public String mode() {
        return ctx.mode();
    }

    // ------------------------------------------------------------------ Interpreter

    public void exec(String code) {
        requireNonNull(code, "code");
        guard(() -> ctx.eval("__jep__('exec', __jep_source__)", Map.of("__jep_source__", code)));
    }

    /** Jep's non-interactive eval: nothing to run (null, blank) is {@code false}; a statement runs and is {@code true}. */
    public boolean eval(String code) {
        checkOpen();
        String statement = code == null ? null : code.replace("\r", "");
        if (statement == null || statement.isBlank()) {
            return false;
        }
        guard(() -> bridge("single", statement));
        return true;
    }

    public void runScript(String script) {
        checkOpen();
        if (script == null) {
            throw new JepException("Script filename cannot be null.");
        }
        java.io.File file = new java.io.File(script);
        if (!file.exists() || !file.canRead()) {
            throw new JepException("Invalid file: " + file.getAbsolutePath());
        }
        Path path = file.toPath().toAbsolutePath();
        String source;
        try {
            source = Files.readString(path);
        } catch (IOException e) {
            throw new JepException("Invalid file: " + file.getAbsolutePath() + " (" + e + ")", e);
        }
        guard(() -> bridge("run", source, path.toString()));
    }

    public Object getValue(String expression) {
        requireNonNull(expression, "str");
        return guard(() -> codec.plain(codec.raw(bridge("get", expression))));
    }

    @SuppressWarnings("unchecked")
    public <T> T getValue(String expression, Class<T> type) {
        requireNonNull(expression, "str");
        requireNonNull(type, "clazz");
        return guard(() -> {
            if (PyObject.class.isAssignableFrom(type)) {
                return (T) wrap(ctx.evalObject(expression), type);
            }
            return (T) codec.fit(codec.raw(bridge("get", expression)), type);
        });
    }

    public void set(String name, Object value) {
        requireNonNull(name, "name");
        guard(() -> bridge("set", name, codec.envelope(value, true)));
    }

    public Object invoke(String name, Object[] args, Map<String, Object> kwargs) {
        checkOpen();
        if (name == null || name.isBlank()) {
            throw new JepException("Invalid function name.");
        }
        return guard(() -> codec.plain(codec.raw(bridge("invoke", name, envelopes(args), kwEnvelopes(kwargs)))));
    }

    /** Ends the interpreter (bounded: pyhost interrupts a running call); idempotent. */
    public void close() {
        if (closed) {
            return;
        }
        if (running.get() > 0 && INSIDE.get().contains(this)) {
            // Python of this very interpreter called Java that closes it (Jep: "me.close()" inside exec). Closing the
            // context here would wait for the call running this code, i.e. for itself: the whole close timeout, then
            // its Python got KeyboardInterrupt. Refused from now on; ended as the running call returns (guard).
            closed = true;
            closeWhenIdle.set(true);
            return;
        }
        if ("SubInterpreter".equals(kind) && running.get() == 0 && !ctx.isClosed()) {
            // Jep refuses to end a sub-interpreter whose Python threads still run (TestCloseWithThreads); it stays usable
            boolean alone;
            try {
                alone = !Boolean.FALSE.equals(bridge("alone"));
            } catch (RuntimeException e) {
                alone = true; // the context is ending anyway
            }
            if (!alone) {
                throw new JepException("All threads must be stopped before closing Jep.");
            }
        }
        closed = true;
        end();
    }

    /** Ends a closed interpreter: its hidden function, its bridge (if no call runs) and its context. */
    private void end() {
        if (unregister != null) {
            unregister.run();
        }
        if (running.get() == 0 && !ctx.isClosed()) {
            try {
                ctx.call(null, "__jep__", List.of("close"), null); // bridge() refuses: closed is set
            } catch (RuntimeException e) {
                // the context is ending anyway; the bridge is collected with its globals
            }
        }
        ctx.close();
    }

    public boolean isClosed() {
        return closed || ctx.isClosed();
    }

    // ------------------------------------------------------------------ PyObject

    /** {@code getattr(handle, name)} converted as Jep does, or as {@code type}. */
    public Object getAttr(io.pyhost.api.PyObject handle, String name, Class<?> type) {
        requireNonNull(name, "attr_name");
        return guard(() -> {
            if (type != null && PyObject.class.isAssignableFrom(type)) {
                Map<String, Object> locals = new HashMap<>();
                locals.put("o", handle);
                locals.put("n", name);
                return wrap(ctx.evalObject("getattr(o, n)", locals), type);
            }
            Object raw = codec.raw(bridge("getattr", handle, name));
            return type == null ? codec.plain(raw) : codec.fit(raw, type);
        });
    }

    public void setAttr(io.pyhost.api.PyObject handle, String name, Object value) {
        requireNonNull(name, "attr_name");
        guard(() -> bridge("setattr", handle, name, codec.envelope(value, true)));
    }

    public void delAttr(io.pyhost.api.PyObject handle, String name) {
        requireNonNull(name, "attr_name");
        guard(() -> bridge("delattr", handle, name));
    }

    public String str(io.pyhost.api.PyObject handle) {
        return guard(() -> (String) bridge("str", handle));
    }

    public int hash(io.pyhost.api.PyObject handle) {
        try {
            return guard(() -> Long.hashCode(((Number) bridge("hash", handle)).longValue()));
        } catch (JepException unhashable) {
            return System.identityHashCode(handle);
        }
    }

    public boolean pyEquals(io.pyhost.api.PyObject handle, PyObject other) {
        return guard(() -> Boolean.TRUE.equals(bridge("eq", handle, codec.envelope(other, false))));
    }

    /** The object converted to {@code type} ({@code PyObject.as}). */
    public Object as(io.pyhost.api.PyObject handle, Class<?> type) {
        requireNonNull(type, "clazz");
        return guard(() -> {
            if (PyObject.class.isAssignableFrom(type)) {
                return wrap(handle, type);
            }
            return codec.fit(codec.raw(bridge("as", handle)), type);
        });
    }

    /** {@code handle(*args, **kwargs)} converted as Jep does, or as {@code type}. */
    public Object call(io.pyhost.api.PyObject handle, Object[] args, Map<String, Object> kwargs, Class<?> type) {
        return guard(() -> {
            if (type != null && PyObject.class.isAssignableFrom(type)) {
                Map<String, Object> locals = new HashMap<>();
                locals.put("f", handle);
                locals.put("a", envelopes(args));
                locals.put("k", kwEnvelopes(kwargs));
                return wrap(ctx.evalObject("__jep__.op_callkeep(f, a, k)", locals), type);
            }
            Object raw = codec.raw(bridge("call", handle, envelopes(args), kwEnvelopes(kwargs)));
            return type == null ? codec.plain(raw) : codec.fit(raw, type);
        });
    }

    /** A Java interface implemented by the Python object ({@code PyObject.proxy}). */
    public Object proxy(PyObject target, boolean functional, Class<?>... interfaces) {
        for (Class<?> i : interfaces) {
            if (i == null) {
                throw new JepException("proxy: an interface is null");
            }
            if (!i.isInterface()) { // as java.lang.reflect.Proxy refuses it in Jep
                throw new IllegalArgumentException(i.getName() + " is not an interface: a Python object can only implement Java interfaces");
            }
        }
        return java.lang.reflect.Proxy.newProxyInstance(interfaces[0].getClassLoader(), interfaces,
                new PythonProxy(this, target, functional));
    }

    /** A proxy's call: the object itself ({@code name} null) or its method {@code name}, the result as {@code returns}. */
    Object callForJava(PyObject target, String name, Object[] args, Type returns) {
        io.pyhost.api.PyObject handle = handleOf(target);
        Class<?> returnClass = Codec.rawClass(returns);
        return guard(() -> {
            if (PyObject.class.isAssignableFrom(returnClass)) { // the Python object itself, as Jep hands it back
                Map<String, Object> locals = new HashMap<>();
                locals.put("o", handle);
                locals.put("n", name);
                locals.put("a", envelopes(args));
                io.pyhost.api.PyObject result = ctx.evalObject(name == null ? "__jep__.op_callkeep(o, a, None)"
                        : "__jep__.op_callmethodkeep(o, n, a)", locals);
                if ("NoneType".equals(result.type())) {
                    result.close();
                    return null;
                }
                return wrap(result, returnClass);
            }
            Object result = name == null ? bridge("call", handle, envelopes(args), null) : bridge("callmethod", handle, name, envelopes(args));
            return returns == void.class ? null : codec.fit(codec.raw(result), returns);
        });
    }

    boolean hasMethod(PyObject target, String name) {
        return guard(() -> Boolean.TRUE.equals(bridge("hasmethod", handleOf(target), name)));
    }

    // ------------------------------------------------------------------ helpers for Codec and the holders

    /** pyhost's handle behind {@code p}, which must belong to this interpreter. */
    io.pyhost.api.PyObject handleOf(PyObject p) {
        ObjectAccess access = ObjectAccess.get();
        if (access.session(p) != this) {
            throw new JepException("a PyObject of another interpreter cannot be used here: Python objects stay in the interpreter that made them");
        }
        return access.handle(p);
    }

    /** The Python object Python stashed under {@code id}, as a {@code PyObject} (a {@code PyCallable} when {@code callable}). */
    PyObject pyObject(long id, boolean callable) {
        Map<String, Object> locals = new HashMap<>();
        locals.put("i", id);
        return ObjectAccess.get().make(this, ctx.evalObject("__jep__.stash.pop(i)", locals), callable);
    }

    private PyObject wrap(io.pyhost.api.PyObject handle, Class<?> type) {
        boolean callable = Boolean.TRUE.equals(bridge("callable", handle));
        if (type == PyCallable.class && !callable) {
            String pyType = handle.type();
            handle.close();
            throw new Codec.Mismatch("TypeError", "Expected " + PyCallable.class.getName() + " but received a " + pyType + ".");
        }
        return ObjectAccess.get().make(this, handle, callable);
    }

    /** A numpy array's memory as a {@link DirectNDArray}: Python's memory, shared. */
    DirectNDArray<?> directArray(Codec.NumpyValue n) {
        io.pyhost.api.PyObject array = pyObjectHandle(n.stashId());
        PyBuffer buffer = array.buffer();
        buffers.add(buffer);
        ByteBuffer bytes = buffer.segment().asByteBuffer().order(ByteOrder.nativeOrder());
        String dtype = n.dtype();
        char kind = dtype.charAt(1);
        int size = Integer.parseInt(dtype.substring(2));
        Buffer typed = switch (kind + "" + size) {
            case "b1", "i1", "u1" -> bytes;
            case "i2", "u2" -> bytes.asShortBuffer();
            case "i4", "u4" -> bytes.asIntBuffer();
            case "i8", "u8" -> bytes.asLongBuffer();
            case "f4" -> bytes.asFloatBuffer();
            case "f8" -> bytes.asDoubleBuffer();
            default -> throw new JepException("<class 'TypeError'>: numpy dtype " + dtype + " has no Java buffer type");
        };
        if (dtype.charAt(0) != '|' && (dtype.charAt(0) == '<') != (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN)) {
            throw new JepException("<class 'TypeError'>: a DirectNDArray needs a numpy array in native byte order, not " + dtype);
        }
        DirectNDArray<Buffer> direct = new DirectNDArray<>(typed, kind == 'u', n.shape().length == 0 ? new int[] {1} : n.shape());
        directArrays.put(typed, array);
        return direct;
    }

    private io.pyhost.api.PyObject pyObjectHandle(long id) {
        Map<String, Object> locals = new HashMap<>();
        locals.put("i", id);
        return ctx.evalObject("__jep__.stash.pop(i)", locals);
    }

    /** The numpy array behind a DirectNDArray taken from Python, or null. */
    io.pyhost.api.PyObject pythonArrayOf(DirectNDArray<?> direct) {
        return directArrays.get(direct.getData());
    }

    /** For Python's {@code from x import C}: the envelope of a public class, or {@code [None]}. */
    List<Object> javaClass(String name) {
        Class<?> c;
        try {
            c = Class.forName(name, false, loader);
        } catch (ClassNotFoundException | LinkageError e) {
            c = null;
        }
        if (c == null || !java.lang.reflect.Modifier.isPublic(c.getModifiers())) {
            return Arrays.asList((Object) null);
        }
        return codec.envelope(c, false);
    }

    boolean isJavaPackage(String name) {
        return enquirer.isJavaPackage(name);
    }

    /** {@code jep.jarray(length, component, initial)}. */
    List<Object> jarray(Object length, String component, Object initial) {
        return guardJava(() -> {
            if (!(length instanceof Long n) || n < 0 || n > Integer.MAX_VALUE) {
                throw JavaThrown.python("ValueError", "jarray: the length must be an int from 0 to 2**31-1, not " + Codec.pythonName(length));
            }
            Class<?> type = switch (component) {
                case "z" -> boolean.class;
                case "b" -> byte.class;
                case "c" -> char.class;
                case "s" -> short.class;
                case "i" -> int.class;
                case "j" -> long.class;
                case "f" -> float.class;
                case "d" -> double.class;
                default -> Class.forName(component, false, loader);
            };
            Object array = Array.newInstance(type, (int) (long) n);
            Object fill = codec.raw(initial);
            if (fill != null) {
                Object value = codec.fit(fill, type);
                for (int i = 0; i < (int) (long) n; i++) {
                    Array.set(array, i, value);
                }
            }
            return codec.envelope(array, false);
        });
    }

    /** {@code jep.jproxy(obj, interfaces)}. */
    List<Object> jproxy(Object encoded, List<?> names) {
        return guardJava(() -> {
            Object raw = codec.raw(encoded);
            if (!(raw instanceof Codec.Stashed s)) {
                throw JavaThrown.python("TypeError", "jproxy: the object must be a Python object, not " + Codec.pythonName(raw));
            }
            Class<?>[] interfaces = new Class<?>[names.size()];
            for (int i = 0; i < interfaces.length; i++) {
                interfaces[i] = Class.forName((String) names.get(i), false, loader);
            }
            return codec.envelope(proxy(pyObject(s.id(), s.callable()), false, interfaces), false);
        });
    }

    // ------------------------------------------------------------------ calls and errors

    /** {@code __jep__(op, *args)} in the context; a Python exception propagates as PyException. */
    private Object bridge(Object... args) {
        if (closed) {
            throw new JepException(CLOSED);
        }
        return ctx.call(null, "__jep__", Arrays.asList(args), null);
    }

    private List<Object> envelopes(Object[] args) {
        List<Object> out = new ArrayList<>(args == null ? 0 : args.length);
        if (args != null) {
            for (Object a : args) {
                out.add(codec.envelope(a, false));
            }
        }
        return out;
    }

    private Map<String, Object> kwEnvelopes(Map<String, Object> kwargs) {
        if (kwargs == null) {
            return null;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : kwargs.entrySet()) {
            if (e.getKey() == null) {
                throw new JepException("<class 'TypeError'>: keywords must be strings, and one is null");
            }
            out.put(e.getKey(), codec.envelope(e.getValue(), false));
        }
        return out;
    }

    /** Jep's wording of the exception behind {@code e} (Python's {@code str(args[0])}, a Java exception's message), or null. */
    private String errorText(PyException e) {
        if (closed || ctx.isClosed()) {
            return null;
        }
        try {
            return ctx.call(null, "__jep__", Arrays.asList("errortext", e.pythonMessage()), null) instanceof String s ? s : null;
        } catch (RuntimeException unavailable) {
            return null; // the context is ending (an interrupted call): pyhost's str() of the exception stands
        }
    }

    private void checkOpen() {
        if (isClosed()) {
            throw new JepException(CLOSED);
        }
    }

    /** Runs a Java-to-Python operation; failures become {@link JepException}. */
    <T> T guard(Supplier<T> op) {
        if (isClosed()) {
            throw new JepException(CLOSED);
        }
        ArrayList<Session> inside = INSIDE.get();
        boolean lock = !inside.contains(this);
        if (lock) {
            try {
                operation.lockInterruptibly();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new JepException("interrupted while waiting for " + kind + " to finish another thread's call", e);
            }
        }
        running.incrementAndGet();
        inside.add(this);
        try {
            if (isClosed()) { // closed while this thread waited for the operation before it
                throw new JepException(CLOSED);
            }
            return op.get();
        } catch (PyException e) {
            throw PythonError.of(e, thrown.get(e.pythonMessage()), errorText(e));
        } catch (Codec.Mismatch e) {
            throw new JepException("<class '" + e.pythonType + "'>: " + e.getMessage());
        } catch (IllegalStateException | IllegalArgumentException | UnsupportedOperationException e) {
            throw new JepException(e.getMessage(), e);
        } finally {
            inside.remove(inside.size() - 1);
            if (running.decrementAndGet() == 0 && closeWhenIdle.compareAndSet(true, false)) {
                end(); // close() from inside the call that just returned
            }
            if (lock) {
                operation.unlock();
            }
        }
    }

    /** Work for a call from Python; failures become {@link JavaThrown}, which Python raises as Jep would. */
    interface JavaWork<T> {
        T run() throws Throwable;
    }

    <T> T guardJava(JavaWork<T> work) {
        ArrayList<Session> inside = INSIDE.get();
        inside.add(this); // Java code this interpreter's Python runs: part of the operation that runs that Python
        try {
            return work.run();
        } catch (JavaThrown t) {
            throw t;
        } catch (Codec.Mismatch m) {
            throw JavaThrown.python(m.pythonType, m.getMessage());
        } catch (Throwable t) {
            JavaThrown thrownHere = JavaThrown.of(t);
            thrown.put(t.getClass().getName() + (t.getMessage() == null ? "" : ": " + t.getMessage()), t);
            throw thrownHere;
        } finally {
            inside.remove(inside.size() - 1);
        }
    }

    private static void requireNonNull(Object value, String what) {
        if (value == null) {
            throw new JepException(what + " must not be null");
        }
    }

    private static String resource(String name) {
        try (InputStream in = Session.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("pyhost-jep's " + name + " is missing from the bundle");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read pyhost-jep's " + name, e);
        }
    }

    @Override
    public String toString() {
        return kind + " (pyhost context " + ctx.id() + ", mode " + ctx.mode() + ", classes from " + space + ")";
    }
}
