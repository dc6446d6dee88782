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
 * (bytes), {@code L U E M} (list, tuple, set, dict: u32 count + items). Not thread-safe: one writer,
 * one reader.
 */
final class Frames {
    /** Kinds, JVM to child: start (the shared preload), finish (limits, sandbox, the context's preload), eval, exec, call. */
    static final byte START = 'S', FINISH = 'F', EVAL = 'V', EXEC = 'C', CALL = 'K';
    /** Kinds, child to JVM: a result, a Python exception, an unconvertible result, a stdout line, a stderr line. */
    static final byte RESULT = 'R', RAISED = 'X', UNCONVERTIBLE = 'A', OUT = 'O', ERR = 'E';
    /**
     * Async tasks: JVM to child, an async eval or call ({@code [task id, "V", expression]} or
     * {@code [task id, "K", module, function, args, kwargs]}, answered {@code [false, value]} when its
     * result is not awaitable, else {@code [true, null]} once it runs on the child's loop) and the
     * cancel of a task (its id); child to JVM, a task's outcome ({@code seq} is the task's id, the
     * value {@code ["R", value]}, {@code ["X", exception]} or {@code ["A", why unconvertible]}).
     */
    static final byte ASYNC = 'Y', CANCEL = 'Z', DONE = 'D';

    /** Which sink a held output line is for. */
    static final Object OUT_SINK = "out", ERR_SINK = "err";

    /** Why a {@code MemorySegment} argument is refused: a child has its own memory (DESIGN.md "Packages and buffers"). */
    static final String SHARED_MEMORY_REFUSED = "mode 'process' cannot lend a MemorySegment to Python: the context runs in a child "
            + "process, which cannot see this JVM's memory; pass its bytes (a byte[]) instead, or use an in-process mode "
            + "(worker, subinterp, owngil) to share memory";

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
        Buffer out = new Buffer();
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
        int length = in.readInt();
        if (length < 9 || length > MAX_FRAME) {
            throw new IOException("malformed frame: length " + Integer.toUnsignedString(length));
        }
        byte kind = in.readByte();
        long seq = in.readLong();
        byte[] payload = new byte[length - 9];
        in.readFully(payload);
        ByteBuffer buffer = ByteBuffer.wrap(payload);
        Object value = decode(buffer, 0);
        if (buffer.hasRemaining()) {
            throw new IOException("malformed frame: " + buffer.remaining() + " bytes after the value");
        }
        return new Frame(kind, seq, value);
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
            case java.lang.foreign.MemorySegment m -> throw new IllegalArgumentException(SHARED_MEMORY_REFUSED);
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
            default -> {
                if (!v.getClass().isArray()) {
                    throw new IllegalArgumentException("cannot convert a Java " + v.getClass().getName()
                            + " to Python: mode 'process' passes only the values of the value table to its child");
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
    static Object decode(ByteBuffer in, int depth) {
        byte tag = in.get();
        return switch (tag) {
            case 'N' -> null;
            case 'T' -> Boolean.TRUE;
            case 'F' -> Boolean.FALSE;
            case 'I' -> in.getLong();
            case 'D' -> in.getDouble();
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
                    items.add(decode(in, depth + 1));
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
                    Object key = decode(in, depth + 1);
                    map.put(key, decode(in, depth + 1));
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

    /** A growable byte array with big-endian puts. */
    private static final class Buffer {
        private byte[] data = new byte[256];
        private int size;

        private void room(int n) {
            if (size + n > data.length) {
                long grown = Math.max((long) data.length * 2, (long) size + n);
                if (grown > MAX_FRAME) {
                    throw new IllegalArgumentException("value too large for one frame (" + (size + (long) n) + " bytes)");
                }
                data = java.util.Arrays.copyOf(data, (int) grown);
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
