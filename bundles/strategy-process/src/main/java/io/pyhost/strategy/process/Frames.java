package io.pyhost.strategy.process;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.reflect.Array;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The channel's framing and value encoding, the Java half of {@code pyhost_child.py} (keep the
 * two in step). A frame is a big-endian {@code u32} length, then a kind byte, a {@code u64}
 * sequence number and one encoded value. Values are tagged: {@code N T F} (None, True, False),
 * {@code I} (int64), {@code G} (a bigger int: u32 length + two's complement bytes), {@code D}
 * (float64), {@code S} (UTF-8 str), {@code W} (UTF-16LE str, for lone surrogates), {@code B}
 * (bytes), {@code L U E M} (list, tuple, set, dict: u32 count + items), {@code H} (a Python object
 * the child keeps for a {@link io.pyhost.api.PyObject}: u64 id, then its type's name as a value; Java
 * to Python: the id only), {@code J} (a Java object lent to the child: u64 reference; Java to Python
 * followed by its label and method names as values). Objects by reference need the context's
 * {@link Refs}; without it they are refused.
 */
final class Frames {
    /**
     * Kinds, JVM to child, answered by RESULT, RAISED or UNCONVERTIBLE: start (the shared preload), finish
     * (limits, sandbox, the context's preload), eval, exec, call, eval to a handle, an operation on a handle.
     */
    static final byte START = 'S', FINISH = 'F', EVAL = 'V', EXEC = 'C', CALL = 'K', EVAL_OBJECT = 'J', HANDLE_OP = 'Q',
            START_ASYNC = 'W';
    /**
     * Kinds, JVM to child, not answered: handles Java closed; the answer to an upcall (its value, or why
     * it failed); cancel an async task (seq: the task id).
     */
    static final byte DROP = 'D', UPCALL_RESULT = 'r', UPCALL_FAILED = 'x', CANCEL_TASK = 'c';
    /** Kinds, child to JVM: a result, a Python exception, an unconvertible result, a stdout line, a stderr line. */
    static final byte RESULT = 'R', RAISED = 'X', UNCONVERTIBLE = 'A', OUT = 'O', ERR = 'E';
    /**
     * Kinds, child to JVM: an upcall (the pyhost module calls Java) from the thread running the JVM's
     * request (it may be re-entered) or from another thread; a logging record; Java objects Python dropped.
     */
    static final byte UPCALL = 'U', THREAD_UPCALL = 'u', LOG = 'L', RELEASED = 'Z';
    /** Kind, child to JVM: an async task's outcome (seq: the task id). */
    static final byte TASK_DONE = 'T';

    /** What crosses the channel by reference: the context's handles and lent Java objects. */
    interface Refs {
        /** The id of {@code handle} in this context's child. @throws IllegalArgumentException another context's; ISE closed */
        long handleId(io.pyhost.api.PyObject handle);

        /** Lends {@code object} to the child. @throws IllegalArgumentException never lent */
        Lent lend(Object object);

        /** The Java object lent as {@code ref}. @throws IllegalArgumentException no longer lent */
        Object lent(long ref);

        /** A new handle for the child's object {@code id}. */
        io.pyhost.api.PyObject handle(long id, String type);
    }

    /** The value of a frame that was read whole but cannot be given to Java: why. */
    record Refused(String message) {
    }

    /** A lent object as the child sees it. */
    record Lent(long ref, String label, Collection<String> methods) {
    }

    /** Why a {@code MemorySegment} argument is refused: a child has its own memory (DESIGN.md "Packages and buffers"). */
    static final String SHARED_MEMORY_REFUSED = "mode 'process' cannot lend a MemorySegment to Python: the context runs in a child "
            + "process, which cannot see this JVM's memory; pass its bytes (a byte[]) instead, or use an in-process mode "
            + "(worker, subinterp, owngil) to share memory";

    /** Which sink a held output line is for. */
    static final Object OUT_SINK = "out", ERR_SINK = "err";

    static final int MAX_DEPTH = 100;
    private static final int HEADER = 4 + 1 + 8;
    private static final int MAX_FRAME = Integer.MAX_VALUE - 64;

    /** One frame as read: its kind, sequence number and value. */
    record Frame(byte kind, long seq, Object value) {
    }

    private Frames() {
    }

    // ------------------------------------------------------------------ frames

    /** The whole frame for {@code value}, ready to write in one go. */
    static byte[] frame(byte kind, long seq, Object value) {
        return frame(kind, seq, value, null);
    }

    /** The whole frame for {@code value}, objects by reference through {@code refs} (null: refused). */
    static byte[] frame(byte kind, long seq, Object value, Refs refs) {
        Buffer out = new Buffer();
        out.refs = refs;
        out.skip(HEADER);
        encode(value, out, 0, null);
        int length = out.size() - 4;
        ByteBuffer header = ByteBuffer.wrap(out.bytes(), 0, HEADER);
        header.putInt(length).put(kind).putLong(seq);
        return out.toArray();
    }

    static void write(OutputStream out, byte kind, long seq, Object value) throws IOException {
        out.write(frame(kind, seq, value));
        out.flush();
    }

    /** The next frame; {@link EOFException} at the end of the stream. */
    static Frame read(DataInputStream in) throws IOException {
        return read(in, null);
    }

    /** The next frame, objects by reference through {@code refs}; {@link EOFException} at the end of the stream. */
    static Frame read(DataInputStream in, Refs refs) throws IOException {
        int length = in.readInt();
        if (length < 9 || length > MAX_FRAME) {
            throw new IOException("malformed frame: length " + Integer.toUnsignedString(length));
        }
        byte kind = in.readByte();
        long seq = in.readLong();
        byte[] payload = payload(in, length - 9);
        ByteBuffer buffer = ByteBuffer.wrap(payload);
        Object value;
        try {
            value = decode(buffer, 0, refs);
        } catch (IllegalArgumentException refused) {
            // well-formed but not for Java (a JavaObject whose reference was given back): the frame was read
            // whole, so the channel is in step; the frame's call fails, not the context
            return new Frame(kind, seq, new Refused(refused.getMessage()));
        }
        if (buffer.hasRemaining()) {
            throw new IOException("malformed frame: " + buffer.remaining() + " bytes after the value");
        }
        return new Frame(kind, seq, value);
    }

    /** Up to this, a payload's buffer is allocated as its length announces; beyond, as its bytes arrive. */
    static final int TRUSTED_LENGTH = 1 << 20;

    /**
     * The next {@code n} bytes. A length is only the child's claim until its bytes arrive (a child that
     * writes junk to its channel claims up to 2 GiB): a big payload's buffer grows with what is read.
     */
    private static byte[] payload(DataInputStream in, int n) throws IOException {
        if (n <= TRUSTED_LENGTH) {
            byte[] payload = new byte[n];
            in.readFully(payload);
            return payload;
        }
        byte[] payload = new byte[TRUSTED_LENGTH];
        int got = 0;
        while (got < n) {
            if (got == payload.length) {
                payload = java.util.Arrays.copyOf(payload, (int) Math.min(n, 2L * payload.length));
            }
            int read = in.read(payload, got, payload.length - got);
            if (read < 0) {
                throw new EOFException();
            }
            got += read;
        }
        return payload;
    }

    // ------------------------------------------------------------------ Java to Python

    /** Encodes {@code value}; {@link IllegalArgumentException} for what the value table does not hold. */
    static byte[] encode(Object value) {
        Buffer out = new Buffer();
        encode(value, out, 0, null);
        return out.toArray();
    }

    private static void encode(Object v, Buffer out, int depth, IdentityHashMap<Object, Boolean> path) {
        switch (v) {
            case null -> out.put('N');
            case Boolean b -> out.put(b ? 'T' : 'F');
            case Long l -> out.put('I').putLong(l);
            case Integer i -> out.put('I').putLong(i);
            case Short s -> out.put('I').putLong(s);
            case Byte b -> out.put('I').putLong(b);
            case BigInteger big -> {
                if (big.bitLength() < 64) {
                    out.put('I').putLong(big.longValue());
                } else {
                    byte[] raw = big.toByteArray();
                    out.put('G').putInt(raw.length).put(raw);
                }
            }
            case Double d -> out.put('D').putDouble(d);
            case Float f -> out.put('D').putDouble(f);
            case String s -> string(s, out);
            case Character c -> string(String.valueOf(c), out);
            case byte[] b -> out.put('B').putInt(b.length).put(b);
            case Map<?, ?> m -> {
                path = enter(m, depth, path);
                out.put('M').putInt(m.size());
                int n = 0;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!hashable(e.getKey())) {
                        throw new IllegalArgumentException("cannot use a Java " + e.getKey().getClass().getName()
                                + " as a Python dict key (unhashable)");
                    }
                    encode(e.getKey(), out, depth + 1, path);
                    encode(e.getValue(), out, depth + 1, path);
                    n++;
                }
                sized(n, m.size());
                path.remove(m);
            }
            case Collection<?> c -> {
                path = enter(c, depth, path);
                boolean set = c instanceof Set<?>;
                out.put(set ? 'E' : 'L').putInt(c.size());
                int n = 0;
                for (Object item : c) {
                    if (set && !hashable(item)) {
                        throw new IllegalArgumentException("cannot put a Java " + item.getClass().getName() + " in a Python set (unhashable)");
                    }
                    encode(item, out, depth + 1, path);
                    n++;
                }
                sized(n, c.size());
                path.remove(c);
            }
            case io.pyhost.api.PyObject handle when out.refs != null -> out.put('H').putLong(out.refs.handleId(handle));
            case java.lang.foreign.MemorySegment segment -> throw new IllegalArgumentException(SHARED_MEMORY_REFUSED);
            default -> {
                if (!v.getClass().isArray()) {
                    if (out.refs == null) {
                        throw new IllegalArgumentException("cannot convert a Java " + v.getClass().getName()
                                + " to Python: mode 'process' passes only the values of the value table to its child");
                    }
                    Lent lent = out.refs.lend(v);
                    out.put('J').putLong(lent.ref());
                    string(lent.label(), out);
                    out.put('L').putInt(lent.methods().size());
                    for (String method : lent.methods()) {
                        string(method, out);
                    }
                    return;
                }
                path = enter(v, depth, path);
                int length = Array.getLength(v);
                out.put('L').putInt(length);
                for (int i = 0; i < length; i++) {
                    encode(Array.get(v, i), out, depth + 1, path);
                }
                path.remove(v);
            }
        }
    }

    private static IdentityHashMap<Object, Boolean> enter(Object container, int depth, IdentityHashMap<Object, Boolean> path) {
        if (depth >= MAX_DEPTH) {
            throw new IllegalArgumentException("Java value nested deeper than " + MAX_DEPTH + " levels");
        }
        IdentityHashMap<Object, Boolean> p = path != null ? path : new IdentityHashMap<>();
        if (p.put(container, Boolean.TRUE) != null) {
            throw new IllegalArgumentException("Java " + container.getClass().getName() + " contains itself; a cycle cannot be converted");
        }
        return p;
    }

    private static void sized(int counted, int announced) {
        if (counted != announced) {
            throw new IllegalArgumentException("a Java collection changed size during conversion");
        }
    }

    /** What becomes a hashable Python value: scalars and bytes (containers become list, dict, set). */
    private static boolean hashable(Object key) {
        return !(key instanceof Collection<?> || key instanceof Map<?, ?> || (key != null && key.getClass().isArray() && !(key instanceof byte[])));
    }

    private static void string(String s, Buffer out) {
        if (!hasLoneSurrogate(s)) {
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            out.put('S').putInt(utf8.length).put(utf8);
            return;
        }
        out.put('W').putInt(s.length() * 2);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            out.put((byte) c).put((byte) (c >>> 8));
        }
    }

    private static boolean hasLoneSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else {
                    return true;
                }
            } else if (Character.isLowSurrogate(c)) {
                return true;
            }
        }
        return false;
    }

    // ------------------------------------------------------------------ Python to Java

    /** Decodes one value (the table of {@code PyContext}: list and tuple to List, dict to Map, set to Set). */
    static Object decode(ByteBuffer in, int depth, Refs refs) {
        byte tag = in.get();
        return switch (tag) {
            case 'N' -> null;
            case 'T' -> Boolean.TRUE;
            case 'F' -> Boolean.FALSE;
            case 'I' -> in.getLong();
            case 'D' -> in.getDouble();
            case 'H' -> {
                long id = in.getLong();
                Object type = decode(in, depth + 1, null);
                if (refs == null || !(type instanceof String name)) {
                    throw new IllegalStateException("malformed value: a handle " + (refs == null ? "where none is expected" : "without its type"));
                }
                yield refs.handle(id, name);
            }
            case 'J' -> {
                long ref = in.getLong();
                if (refs == null) {
                    throw new IllegalStateException("malformed value: a Java reference where none is expected");
                }
                yield refs.lent(ref);
            }
            case 'S' -> new String(bytes(in), StandardCharsets.UTF_8);
            case 'W' -> {
                byte[] raw = bytes(in);
                char[] chars = new char[raw.length / 2];
                for (int i = 0; i < chars.length; i++) {
                    chars[i] = (char) ((raw[2 * i] & 0xff) | (raw[2 * i + 1] & 0xff) << 8);
                }
                yield new String(chars);
            }
            case 'B' -> bytes(in);
            case 'G' -> new BigInteger(bytes(in));
            case 'L', 'U', 'E' -> {
                if (depth >= MAX_DEPTH) {
                    throw new IllegalArgumentException("Python value nested deeper than " + MAX_DEPTH + " levels");
                }
                int n = count(in);
                Collection<Object> items = tag == 'E' ? new LinkedHashSet<>() : new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    items.add(decode(in, depth + 1, refs));
                }
                yield items;
            }
            case 'M' -> {
                if (depth >= MAX_DEPTH) {
                    throw new IllegalArgumentException("Python value nested deeper than " + MAX_DEPTH + " levels");
                }
                int n = count(in);
                Map<Object, Object> map = new LinkedHashMap<>();
                for (int i = 0; i < n; i++) {
                    Object key = decode(in, depth + 1, refs);
                    map.put(key, decode(in, depth + 1, refs));
                }
                yield map;
            }
            default -> throw new IllegalStateException("malformed value: tag " + (tag & 0xff));
        };
    }

    private static int count(ByteBuffer in) {
        int n = in.getInt();
        if (n < 0 || n > in.remaining()) { // every item takes a byte at least
            throw new IllegalStateException("malformed value: count " + Integer.toUnsignedString(n));
        }
        return n;
    }

    private static byte[] bytes(ByteBuffer in) {
        byte[] b = new byte[count(in)];
        in.get(b);
        return b;
    }

    /**
     * The new capacity of a buffer of {@code capacity} that must hold {@code needed} bytes: doubled,
     * at most {@code limit} (a value that fits is never refused because doubling would pass it).
     */
    static int grown(int capacity, long needed, int limit) {
        if (needed > limit) {
            throw new IllegalArgumentException("value too large for one frame (" + needed + " bytes)");
        }
        return (int) Math.min(limit, Math.max(2L * capacity, needed));
    }

    /** A growable byte array with big-endian puts. */
    private static final class Buffer {
        private Refs refs;
        private byte[] data = new byte[256];
        private int size;

        private void room(int n) {
            if (size + n > data.length) {
                data = java.util.Arrays.copyOf(data, grown(data.length, size + (long) n, MAX_FRAME));
            }
        }

        Buffer put(char tag) {
            return put((byte) tag);
        }

        Buffer put(byte b) {
            room(1);
            data[size++] = b;
            return this;
        }

        Buffer put(byte[] b) {
            room(b.length);
            System.arraycopy(b, 0, data, size, b.length);
            size += b.length;
            return this;
        }

        Buffer putInt(int v) {
            room(4);
            ByteBuffer.wrap(data, size, 4).putInt(v);
            size += 4;
            return this;
        }

        Buffer putLong(long v) {
            room(8);
            ByteBuffer.wrap(data, size, 8).putLong(v);
            size += 8;
            return this;
        }

        Buffer putDouble(double v) {
            return putLong(Double.doubleToRawLongBits(v));
        }

        void skip(int n) {
            room(n);
            size += n;
        }

        int size() {
            return size;
        }

        byte[] bytes() {
            return data;
        }

        byte[] toArray() {
            return java.util.Arrays.copyOf(data, size);
        }
    }
}
