"""pyhost's server in a `process` mode child: one context, driven over a pipe by the JVM.

Started as `python3.X -s -P pyhost_child.py` with the channel on stdin/stdout. Stdlib only.
Frames both ways: u32 length, then kind (1 byte), seq (u64), payload (one value); big-endian.
The value encoding is the one of io.pyhost.strategy.process.Frames (Java); keep the two in step.

The JVM sends requests (seq: its own numbering) and the child answers each with R, X or A. While
a request runs, Python may call Java (the `pyhost` module, core's own source, run here with a
`_raw` that sends U/u frames, seq: the child's numbering); the JVM answers with r or x, and may
meanwhile send requests that re-enter this context (Python -> Java -> Python): the main thread
serves them while it waits. Whoever waits for a frame reads the channel; what it reads for
another waiter is handed over (Channel).
"""
import builtins
import collections
import itertools
import os
import signal
import struct
import sys
import threading
import time
import traceback

MAX_DEPTH = 100
_HEADER = struct.Struct('>IBQ')
_depth = 0                # JVM requests running user code on the main thread (nested ones count too)
_in_channel = 0           # the main thread is reading or writing the channel: an interrupt waits
_deferred = False         # an interrupt arrived while the main thread was in the channel
_write_lock = threading.Lock()
_MAIN = threading.get_ident()
_SERVER_FILE = __file__


# ---------------------------------------------------------------- channel

def _take_channel():
    """The pipe stays for frames only: user code sees an empty stdin, and what C code writes to
    fd 1 goes to stderr (which the JVM logs)."""
    for fd in (0, 1):
        _widen_pipe(fd)
    chan_in = _PipeIn(os.dup(0))
    chan_out = os.fdopen(os.dup(1), 'wb', buffering=1 << 16)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    return chan_in, chan_out


def _widen_pipe(fd):
    """A 1 MiB pipe (the kernel's default is 64 KiB): a large value crosses with 16 times fewer
    wake-ups of the other side. Where the kernel refuses (pipe-max-size), the pipe stays as it is."""
    try:
        import fcntl
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)
    except (ImportError, AttributeError, OSError):
        pass


# How long a thread waiting for a frame polls the pipe before it blocks in read: the JVM's next
# request often comes within microseconds of an answer, and a sleeping child costs each call a
# wake-up (about 13 us on this project's 2-core machines). Set by the start frame (the JVM's
# pyhost.process.spinMicros); off under a CPU limit: polling is CPU time the context's own code
# did not spend.
_spin_seconds = 0


class _PipeIn:
    """The channel's input: read(n) gives n bytes (fewer only at its end), like a buffered file,
    and polls the pipe for a while before it blocks (_spin_seconds)."""

    def __init__(self, fd):
        import select
        self._fd = fd
        self._poll = select.poll()
        self._poll.register(fd, select.POLLIN)
        self._buf = bytearray(1 << 16)
        self._view = memoryview(self._buf)
        self._start = 0
        self._end = 0

    def _fill(self, view):
        if _spin_seconds and not self._poll.poll(0):
            deadline = time.perf_counter() + _spin_seconds
            while not self._poll.poll(0) and time.perf_counter() < deadline:
                pass
        return os.readv(self._fd, [view])

    def read(self, n):
        have = self._end - self._start
        if have >= n:
            data = bytes(self._view[self._start:self._start + n])
            self._start += n
            return data
        out = bytearray(n)  # a MemoryError here comes before anything is consumed: read_frame skips the frame
        view = memoryview(out)
        view[:have] = self._view[self._start:self._end]
        self._start = self._end = 0
        got = have
        while got < n:
            if n - got >= len(self._buf):
                k = self._fill(view[got:])  # straight into the result
                if not k:
                    break
                got += k
            else:
                k = self._fill(self._view)
                if not k:
                    break
                take = min(k, n - got)
                view[got:got + take] = self._view[:take]
                self._start, self._end = take, k
                got += take
        return out if got == n else bytes(out[:got])


def _read_exact(stream, n):
    data = stream.read(n)
    if data is None or len(data) < n:
        raise EOFError
    return data


def read_frame(stream):
    """(kind, seq, payload); the payload is a MemoryError when it does not fit under the memory limit:
    it is skipped, so the channel stays in step and only that request (or upcall answer) fails."""
    length, kind, seq = _HEADER.unpack(_read_exact(stream, _HEADER.size))
    try:
        payload = _read_exact(stream, length - 9)
    except MemoryError as e:  # _PipeIn allocates the whole result before it consumes anything
        left = length - 9
        while left:
            left -= len(_read_exact(stream, min(left, 1 << 16)))
        return chr(kind), seq, e
    return chr(kind), seq, payload


def write_frame(stream, kind, seq, value):
    """One frame; what encoding the value raises (user code: a __str__, a container's __iter__) comes
    before anything is written, so the channel stays in step."""
    out = bytearray()
    encode(value, out)
    _write_encoded(stream, kind, seq, out)


def _write_encoded(stream, kind, seq, out):
    global _in_channel
    main = threading.get_ident() == _MAIN
    if main:
        _in_channel += 1
    try:
        with _write_lock:
            stream.write(_HEADER.pack(len(out) + 9, ord(kind), seq))
            stream.write(out)
            stream.flush()
    finally:
        if main:
            _in_channel -= 1


def write_answer(stream, kind, seq, value, unconvertible, failed=None):
    """The answer to a request or task. A value the table does not hold (ValueError, RecursionError,
    UnicodeError) is answered by unconvertible(e); anything else encoding raises (user code: a __str__
    or __iter__ that raises, a dict another thread changes) by failed(e), by default the call's
    Python exception: the call fails, the context goes on (escaping, it ended the server)."""
    out = bytearray()
    try:
        encode(value, out)
    except (ValueError, RecursionError, UnicodeError) as e:
        kind, value = unconvertible(e)
        out = None
    except BaseException as e:
        kind, value = failed(e) if failed is not None else ('X', describe(e))
        out = None
    if out is None:
        out = bytearray()
        encode(value, out)
    _write_encoded(stream, kind, seq, out)


def _safe_str(e):
    try:
        return str(e)
    except BaseException:
        return '<unprintable %s>' % type(e).__name__


def _flush_quietly(stream):
    try:
        stream.flush()
    except BaseException:
        pass


def _take_deferred():
    """Back in user code after the channel: an interrupt that arrived meanwhile is raised now."""
    global _deferred
    if _deferred and _depth and not _in_channel and threading.get_ident() == _MAIN:
        _deferred = False
        raise KeyboardInterrupt


class Channel:
    """The one input stream, shared by the threads that wait for a frame: the main thread (JVM
    requests, and answers to its own upcalls) and threads that called Java (answers to theirs).
    One of them reads at a time; a frame for another waiter is handed over."""

    def __init__(self, chan_in, chan_out):
        self.chan_in = chan_in
        self.chan_out = chan_out
        self._cond = threading.Condition(threading.Lock())
        self._reading = False
        self._answers = {}                     # upcall seq -> frame, for a waiting thread
        self._waiting = set()                  # upcall seqs someone waits for
        self._requests = collections.deque()   # JVM requests read by another thread, for the main thread
        self._seqs = itertools.count(1)

    def new_upcall(self):
        seq = next(self._seqs)
        with self._cond:
            self._waiting.add(seq)
        return seq

    def forget(self, seq):
        with self._cond:
            self._waiting.discard(seq)
            self._answers.pop(seq, None)

    def next_frame(self, upcall=None):
        """The main thread: the next JVM request, or the answer to `upcall`. Other threads: the
        answer to `upcall`. Raises EOFError when the JVM closed the channel."""
        global _in_channel
        main = threading.get_ident() == _MAIN
        if main:
            _in_channel += 1
        try:
            with self._cond:
                while True:
                    if upcall is not None and upcall in self._answers:
                        self._waiting.discard(upcall)
                        return self._answers.pop(upcall)
                    if main and self._requests:
                        return self._requests.popleft()
                    if not self._reading:
                        self._reading = True
                        break
                    self._cond.wait()
            try:
                while True:
                    frame = read_frame(self.chan_in)
                    kind, seq = frame[0], frame[1]
                    if kind in ('r', 'x'):
                        if seq == upcall:
                            with self._cond:
                                self._waiting.discard(upcall)
                            return frame
                        with self._cond:
                            if seq in self._waiting:
                                self._answers[seq] = frame
                                self._cond.notify_all()
                        continue  # an answer nobody waits for any more (its waiter was interrupted)
                    if main:
                        return frame
                    with self._cond:
                        self._requests.append(frame)
                        self._cond.notify_all()
            finally:
                with self._cond:
                    self._reading = False
                    self._cond.notify_all()
        finally:
            if main:
                _in_channel -= 1


# ---------------------------------------------------------------- values

_I64 = struct.Struct('>q')
_F64 = struct.Struct('>d')
_U32 = struct.Struct('>I')


class AsHandle:
    """A result that goes to Java as a PyObject (tag H: its id in the handle table, its type)."""
    __slots__ = ('obj',)

    def __init__(self, obj):
        self.obj = obj


_handles = {}                    # handle id -> the object a Java PyObject stands for
_handle_ids = itertools.count(1)
_java_object_type = None         # pyhost.JavaObject, once the module is in: its instances go back as tag J
_make_java_object = None         # the module's _make(ref, label, methods)


def encode(value, out, depth=0, path=None):
    """Python to Java: the value table; a pyhost.JavaObject as its reference (J); a handle (H);
    anything else as its str()."""
    if value is None:
        out += b'N'
    elif value is True:
        out += b'T'
    elif value is False:
        out += b'F'
    elif type(value) is int or isinstance(value, int) and not isinstance(value, bool):
        if -(1 << 63) <= value < (1 << 63):
            out += b'I'
            out += _I64.pack(value)
        else:
            raw = int(value).to_bytes((int(value).bit_length() + 8) // 8, 'big', signed=True)
            out += b'G'
            out += _U32.pack(len(raw))
            out += raw
    elif isinstance(value, float):
        out += b'D'
        out += _F64.pack(value)
    elif isinstance(value, str):
        _encode_str(value, out)
    elif isinstance(value, bytes):
        out += b'B'
        out += _U32.pack(len(value))
        out += value
    elif isinstance(value, (list, tuple, dict, set, frozenset)):
        if depth >= MAX_DEPTH:
            raise ValueError('Python value nested deeper than %d levels' % MAX_DEPTH)
        if path is None:
            path = set()
        if id(value) in path:
            raise ValueError('Python %s contains itself; a cycle cannot be converted' % type(value).__name__)
        path.add(id(value))
        # the count is the items as iterated, written after them: len() of a subclass may lie, and a
        # Python thread may change the container meanwhile; a count that disagrees with the items is a
        # malformed frame, for which the JVM kills the child
        if isinstance(value, dict):
            out += b'M'
            at = len(out)
            out += b'\0\0\0\0'
            n = 0
            for k, v in value.items():
                encode(k, out, depth + 1, path)
                encode(v, out, depth + 1, path)
                n += 1
        else:
            out += b'L' if isinstance(value, list) else b'U' if isinstance(value, tuple) else b'E'
            at = len(out)
            out += b'\0\0\0\0'
            n = 0
            for item in value:
                encode(item, out, depth + 1, path)
                n += 1
        _U32.pack_into(out, at, n)
        path.discard(id(value))
    elif type(value) is AsHandle:
        hid = next(_handle_ids)
        _handles[hid] = value.obj
        out += b'H'
        out += _I64.pack(hid)
        cls = type(value.obj)
        _encode_str(cls.__qualname__, out)
    elif _java_object_type is not None and type(value) is _java_object_type:
        out += b'J'
        out += _I64.pack(object.__getattribute__(value, '_pyhost_ref'))
    else:
        _encode_str(str(value), out)


def _encode_str(s, out):
    try:
        raw = s.encode('utf-8')
        out += b'S'
    except UnicodeEncodeError:  # lone surrogates survive as UTF-16
        raw = s.encode('utf-16-le', 'surrogatepass')
        out += b'W'
    out += _U32.pack(len(raw))
    out += raw


def decode(data, pos=0):
    """Java to Python; returns (value, next position)."""
    tag = data[pos]
    pos += 1
    if tag == 0x4E:  # N
        return None, pos
    if tag == 0x54:  # T
        return True, pos
    if tag == 0x46:  # F
        return False, pos
    if tag == 0x49:  # I
        return _I64.unpack_from(data, pos)[0], pos + 8
    if tag == 0x44:  # D
        return _F64.unpack_from(data, pos)[0], pos + 8
    if tag == 0x48:  # H: an object of the handle table (a Java PyObject handed back)
        hid = _I64.unpack_from(data, pos)[0]
        try:
            return _handles[hid], pos + 8
        except KeyError:
            raise ValueError('a PyObject that was closed') from None
    if tag == 0x4A:  # J: a Java object lent to Python: its reference, label and method names
        ref = _I64.unpack_from(data, pos)[0]
        label, pos = decode(data, pos + 8)
        methods, pos = decode(data, pos)
        return _make_java_object(ref, label, methods), pos
    n = _U32.unpack_from(data, pos)[0]
    pos += 4
    if tag == 0x53:  # S
        return data[pos:pos + n].decode('utf-8'), pos + n
    if tag == 0x57:  # W
        return data[pos:pos + n].decode('utf-16-le', 'surrogatepass'), pos + n
    if tag == 0x42:  # B
        return bytes(memoryview(data)[pos:pos + n]), pos + n
    if tag == 0x47:  # G
        return int.from_bytes(data[pos:pos + n], 'big', signed=True), pos + n
    if tag in (0x4C, 0x55, 0x45):  # L U E
        items = []
        for _ in range(n):
            item, pos = decode(data, pos)
            items.append(item)
        return (items if tag == 0x4C else tuple(items) if tag == 0x55 else set(items)), pos
    if tag == 0x4D:  # M
        result = {}
        for _ in range(n):
            k, pos = decode(data, pos)
            v, pos = decode(data, pos)
            result[k] = v
        return result, pos
    raise ValueError('unknown value tag %r' % chr(tag))


# ---------------------------------------------------------------- output

class _LineSink:
    """sys.stdout / sys.stderr: each complete line goes to the JVM as one frame."""

    def __init__(self, channel, kind, name):
        self._channel = channel
        self._kind = kind
        self._pending = ''
        self.name = name
        self.encoding = 'utf-8'
        self.errors = 'surrogatepass'

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError('write() argument must be str, not %s' % type(text).__name__)
        self._pending += text
        while '\n' in self._pending:
            line, self._pending = self._pending.split('\n', 1)
            write_frame(self._channel, self._kind, 0, line)
            _take_deferred()
        return len(text)

    def flush(self):
        if self._pending:
            line, self._pending = self._pending, ''
            write_frame(self._channel, self._kind, 0, line)

    def isatty(self):
        return False

    def writable(self):
        return True

    def fileno(self):
        raise OSError('pyhost: this stream has no file descriptor')


# ---------------------------------------------------------------- limits

def _libc():
    import ctypes
    return ctypes, ctypes.CDLL(None, use_errno=True)


def _prctl(libc, ctypes, option, arg2=0, arg3=0, arg4=0, arg5=0):
    if libc.prctl(ctypes.c_int(option), ctypes.c_ulong(arg2), ctypes.c_ulong(arg3), ctypes.c_ulong(arg4),
                  ctypes.c_ulong(arg5)) != 0:
        err = ctypes.get_errno()
        raise OSError(err, 'prctl(%d): %s' % (option, os.strerror(err)))


def watch_parent(parent_pid):
    """The kernel kills this process when the JVM's spawning thread ends (a SIGKILLed JVM included)."""
    ctypes, libc = _libc()
    _prctl(libc, ctypes, 1, signal.SIGKILL)   # PR_SET_PDEATHSIG
    _prctl(libc, ctypes, 4, 0)                # PR_SET_DUMPABLE: no core files, no ptrace by peers
    if os.getppid() != parent_pid:            # it died before the line above
        os._exit(70)


# seccomp: refuse process creation (and changing the limits) with EPERM; x86-64 only
_SYS_CLONE, _SYS_FORK, _SYS_VFORK, _SYS_EXECVE = 56, 57, 58, 59
_SYS_SETRLIMIT, _SYS_PRLIMIT64, _SYS_EXECVEAT, _SYS_CLONE3 = 160, 302, 322, 435
_AUDIT_ARCH_X86_64 = 0xC000003E
_CLONE_THREAD = 0x00010000


def _seccomp_program():
    import errno
    ld, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06
    allow, errno_base = 0x7FFF0000, 0x00050000
    eperm, enosys = errno_base | errno.EPERM, errno_base | errno.ENOSYS
    # labels are resolved below: each jump names the instruction it goes to
    prog = [
        (ld, 0, 0, 4),                           # 0 arch
        (jeq, 'nr', 'deny', _AUDIT_ARCH_X86_64),  # 1 another ABI (i386 int 0x80): refused
        ('nr', ld, 0, 0, 0),                     # 2 syscall number
        (jge, 'deny', 0, 0x40000000),            # 3 the x32 ABI: refused
    ]
    for nr in (_SYS_FORK, _SYS_VFORK, _SYS_EXECVE, _SYS_EXECVEAT, _SYS_SETRLIMIT):
        prog.append((jeq, 'deny', 0, nr))
    prog.append((jeq, 'prlimit', 0, _SYS_PRLIMIT64))
    prog.append((jeq, 'enosys', 0, _SYS_CLONE3))  # libc falls back to clone, whose flags can be read
    prog.append((jeq, 'clone', 0, _SYS_CLONE))
    prog.append((ret, 0, 0, allow))
    prog.append(('clone', ld, 0, 0, 16))          # clone flags: args[0], low word (little-endian)
    prog.append((jset, 'allow', 'deny', _CLONE_THREAD))  # a thread: allowed
    prog.append(('prlimit', ld, 0, 0, 32))        # prlimit64's new limit, args[2]: NULL only reads (libc's getrlimit)
    prog.append((jeq, 0, 'deny', 0))
    prog.append((ld, 0, 0, 36))
    prog.append((jeq, 'allow', 'deny', 0))
    prog.append(('deny', ret, 0, 0, eperm))
    prog.append(('allow', ret, 0, 0, allow))
    prog.append(('enosys', ret, 0, 0, enosys))
    labels = {}
    plain = []
    for i, ins in enumerate(prog):
        if isinstance(ins[0], str):
            labels[ins[0]] = i
            ins = ins[1:]
        plain.append(ins)
    out = []
    for i, (code, jt, jf, k) in enumerate(plain):
        jt = labels[jt] - i - 1 if isinstance(jt, str) else jt
        jf = labels[jf] - i - 1 if isinstance(jf, str) else jf
        out.append(struct.pack('=HBBI', code, jt, jf, k))
    return len(out), b''.join(out)


def refuse_processes():
    machine = os.uname().machine  # not the platform module: its import is most of a pooled creation's cost
    if machine != 'x86_64':
        raise RuntimeError('pyhost: the process sandbox needs x86-64, this is ' + machine)
    ctypes, libc = _libc()
    count, code = _seccomp_program()
    buffer = ctypes.create_string_buffer(code, len(code))

    class SockFprog(ctypes.Structure):
        _fields_ = [('len', ctypes.c_ushort), ('filter', ctypes.c_void_p)]

    program = SockFprog(count, ctypes.addressof(buffer))
    _prctl(libc, ctypes, 38, 1)                                   # PR_SET_NO_NEW_PRIVS
    _prctl(libc, ctypes, 22, 2, ctypes.addressof(program))        # PR_SET_SECCOMP, SECCOMP_MODE_FILTER


def apply_limits(memory, cpu_seconds, open_files):
    import resource
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if memory is not None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    if cpu_seconds is not None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        spent = int(usage.ru_utime + usage.ru_stime + 0.999)
        # SIGXCPU at the soft limit; the hard limit (SIGKILL) a second later if that is caught
        resource.setrlimit(resource.RLIMIT_CPU, (spent + cpu_seconds, spent + cpu_seconds + 1))
    if open_files is not None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, open_files))


# ---------------------------------------------------------------- the pyhost module

class JavaSide:
    """`_raw(op, *args)` of core's pyhost module (its source comes with the start request): each
    operation is one U/u frame to the JVM, answered by r (the value) or x (the error)."""

    def __init__(self, channel, namespace):
        self.channel = channel
        self.ns = namespace
        self.names = {namespace[name]: name[4:] for name in namespace if name.startswith('_OP_')}  # 1 -> 'CALL'
        self.guard = namespace['_OP_GUARD']
        self.output = namespace['_OP_OUTPUT']
        self.log = namespace['_OP_LOG']
        self.register = namespace['_OP_REGISTER']
        self.server = None

    def raw(self, op, *args):
        global _in_channel
        if op == self.guard:
            return True  # every thread of the child may call Java: the JVM's stack is not at stake here
        if op == self.output:
            for line in args[1]:
                write_frame(self.channel.chan_out, 'E' if args[0] else 'O', 0, line)
            _take_deferred()
            return None
        if op == self.log:
            write_frame(self.channel.chan_out, 'L', 0, list(args))
            _take_deferred()
            return None
        if op == self.register:
            args = (args[0], AsHandle(args[1]), args[2])  # the object stays here; Java calls it by handle
        name = self.names.get(op)
        if name is None:
            raise TypeError('pyhost: unknown operation %r' % (op,))
        self.release_java_objects()
        on_main = threading.get_ident() == _MAIN
        main = on_main and _depth > 0
        seq = self.channel.new_upcall()
        if on_main:
            _in_channel += 1  # an interrupt waits until the answer is in (Server._user lets nested requests be interrupted)
        try:
            write_frame(self.channel.chan_out, 'U' if main else 'u', seq, [name, list(args)])
            while True:
                kind, got, payload = self.channel.next_frame(seq)
                if got == seq and kind in ('r', 'x'):
                    break
                self.server.serve_one(kind, got, payload)  # a request that re-enters this context
        finally:
            self.channel.forget(seq)
            if on_main:
                _in_channel -= 1
        if isinstance(payload, MemoryError):
            raise payload
        value, _ = decode(payload)
        _take_deferred()
        if kind == 'r':
            return value
        error, java_type, message, token = value
        if error in (1, 2):
            self.ns['_raise'](error, java_type, message, token)
        raise (TypeError if error == 3 else ValueError if error == 5 else RuntimeError)(message)

    def release_java_objects(self):
        """The references of JavaObjects Python dropped (their __del__ queued them) go back to the JVM."""
        released = self.ns['_released']
        if released:
            refs = released[:]
            del released[:len(refs)]
            write_frame(self.channel.chan_out, 'Z', 0, refs)

    def drain_pending(self):
        """Lines and records of threads the module thought unready (tiny stacks): sent after each request."""
        output, logs = self.ns['_pending_output'], self.ns['_pending_logs']
        while output:
            error, line = output.pop(0)
            write_frame(self.channel.chan_out, 'E' if error else 'O', 0, line)
        while logs:
            write_frame(self.channel.chan_out, 'L', 0, list(logs.pop(0)))


def install_pyhost_module(channel, source):
    global _java_object_type, _make_java_object
    namespace = {'__name__': 'pyhost', '__builtins__': builtins}
    side = JavaSide.__new__(JavaSide)
    namespace['_raw'] = lambda op, *args: side.raw(op, *args)
    exec(compile(source, '<pyhost>', 'exec'), namespace)
    side.__init__(channel, namespace)
    namespace['_mark_ready']()
    _java_object_type = namespace['JavaObject']
    _make_java_object = namespace['_make']
    return side


# ---------------------------------------------------------------- preload and calls

def build_preload(paths, imports, fragments):
    """Core's order (helpers.build_preload): paths, then imports, then each fragment."""
    for path in paths:
        if path not in sys.path:
            sys.path.append(path)
    namespace = {'__name__': '__pyhost__', '__builtins__': builtins}
    for module in imports:
        exec('import ' + module, namespace)
    for origin, code in fragments:
        try:
            exec(compile(code, origin, 'exec'), namespace)
        except BaseException as e:
            e.add_note(f'in preload fragment {origin}')
            raise
    return namespace


def _on_sigint(signum, frame):
    global _deferred
    if not _depth:
        return  # between calls (a late interrupt): nothing to stop
    if _in_channel:
        _deferred = True  # a frame is being read or written: raised when user code runs again
        return
    raise KeyboardInterrupt


def describe(exc):
    """[qualified type, message, traceback, notes, Java token] without the server's own frames."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == _SERVER_FILE:
        tb = tb.tb_next
    exc.__traceback__ = tb
    cls = type(exc)
    module = cls.__module__
    qualified = cls.__qualname__ if module in (None, '') else module + '.' + cls.__qualname__
    try:
        message = str(exc)
    except BaseException:
        message = '<unprintable %s>' % cls.__name__
    text = ''.join(traceback.format_exception(exc))
    notes = getattr(exc, '__notes__', None)
    where = '; '.join(str(n) for n in notes) if isinstance(notes, list) else None
    token = getattr(exc, '_pyhost_token', 0)
    return [qualified, message, text, where, token if type(token) is int else 0]


_END = object()


class Tasks:
    """The context's asyncio loop, on a thread of its own (started with the first awaitable): the
    coroutines of evalAsync/callAsync run there as concurrent tasks; each outcome goes to the JVM as
    a T frame (seq: the task id) holding [0, value], [1, described exception], [2, why the value
    cannot be converted] or [3] (cancelled)."""

    def __init__(self, chan_out):
        self.chan_out = chan_out
        self.loop = None
        self.running = {}
        self.unlaunched = []
        self.ids = itertools.count(1)

    def start(self, awaitable):
        import asyncio
        if self.loop is None:
            self.loop = asyncio.new_event_loop()
            threading.Thread(target=self.loop.run_forever, name='pyhost-asyncio', daemon=True).start()

        async def outcome():
            return await awaitable
        tid = next(self.ids)
        self.unlaunched.append((tid, outcome()))
        return tid

    def launch(self):
        """After the answer naming the new tasks is written: a task's T frame never comes before the
        answer that tells the JVM its id (a task that ends at once would otherwise be lost)."""
        import asyncio
        while self.unlaunched:
            tid, coroutine = self.unlaunched.pop(0)
            future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
            self.running[tid] = future
            future.add_done_callback(lambda f, tid=tid: self._done(tid, f))

    def cancel(self, tid):
        future = self.running.get(tid)
        if future is not None:
            future.cancel()

    def _done(self, tid, future):
        self.running.pop(tid, None)
        if future.cancelled():
            outcome = [3]
        else:
            error = future.exception()
            outcome = [1, describe(error)] if error is not None else [0, future.result()]
        write_answer(self.chan_out, 'T', tid, outcome, lambda e: ('T', [2, _safe_str(e)]),
                     lambda e: ('T', [1, describe(e)]))
_failed_steps = {}   # iterator handle -> what its next step raised after the items already sent


class Server:
    def __init__(self, channel):
        self.channel = channel
        self.chan_out = channel.chan_out
        self.globals = None
        self.finished = False
        self.code_cache = {}
        self.java = None
        self.tasks = Tasks(channel.chan_out)
        self.handlers = {'V': self.eval, 'C': self.exec, 'K': self.call, 'J': self.eval_object, 'Q': self.handle_op,
                         'W': self.start_async}

    def start(self, payload):
        """The shared preload (the application's own code): a warm pool's child stops here until it is given a context."""
        global _spin_seconds
        config, _ = decode(payload)
        _spin_seconds = config.get('spin') or 0
        source = config.get('module')
        if source:
            self.java = install_pyhost_module(self.channel, source)
            self.java.server = self
        self.globals = self._user(lambda: build_preload(config['paths'], config['imports'], config['fragments']))
        return {'pid': os.getpid(), 'group': os.getpgid(0) == os.getpid()}

    def finish(self, payload):
        """The context's own part, once: the limits, the sandbox, then ContextOptions.preload under them."""
        global _spin_seconds
        config, _ = decode(payload)
        if self.globals is None or self.finished:
            raise RuntimeError('finish out of order')
        self.finished = True
        apply_limits(config.get('memory'), config.get('cpu'), config.get('open_files'))
        if config.get('cpu') is not None:
            _spin_seconds = 0
        if config.get('sandbox'):
            refuse_processes()
        preload = config.get('preload')
        if preload:
            namespace = self.globals
            self._user(lambda: exec(compile(preload, 'context', 'exec'), namespace))
        return None

    def compiled(self, source, mode):
        key = (source, mode)
        code = self.code_cache.get(key)
        if code is None:
            code = compile(source, '<string>', mode)
            if len(self.code_cache) > 512:
                self.code_cache.clear()
            self.code_cache[key] = code
        return code

    def _user(self, task):
        global _depth, _deferred, _in_channel
        if not _depth:
            _deferred = False
        outer_channel = _in_channel  # a request served while an upcall waits: its code may be interrupted
        _in_channel = 0
        _depth += 1
        try:
            return task()
        finally:
            _depth -= 1
            _in_channel = outer_channel

    def eval(self, payload):
        (source, local_vars, awaited), _ = decode(payload)
        return self._evaluate(source, local_vars)

    def start_async(self, payload):
        """evalAsync / callAsync: [False, value] when the result is no awaitable, else [True, task id]
        and the task runs on the context's asyncio loop; a T frame brings its outcome."""
        (what, *rest), _ = decode(payload)
        if what == 'eval':
            result = self._evaluate(rest[0], None)
        else:
            result = self._call(*rest)
        import inspect
        if not inspect.isawaitable(result):
            return [False, result]
        return [True, self.tasks.start(result)]

    def _evaluate(self, source, local_vars):
        code = self.compiled(source, 'eval')
        if local_vars:
            return self._user(lambda: eval(code, self.globals, dict(local_vars)))
        return self._user(lambda: eval(code, self.globals))

    def eval_object(self, payload):
        (source, local_vars), _ = decode(payload)
        return AsHandle(self._evaluate(source, local_vars))

    def exec(self, payload):
        source, _ = decode(payload)
        code = self.compiled(source, 'exec')
        self._user(lambda: exec(code, self.globals))
        return None

    def call(self, payload):
        (module, function, args, kwargs), _ = decode(payload)
        return self._call(module, function, args, kwargs)

    def _call(self, module, function, args, kwargs):
        head, _, rest = function.partition('.')  # a dotted function name walks attributes, as in core's helpers.resolve
        if module:
            import importlib
            target = self._user(lambda: getattr(importlib.import_module(module), head))
        else:
            try:
                target = self.globals[head]
            except KeyError:
                raise NameError("name '%s' is not defined" % head) from None
        for part in rest.split('.') if rest else ():
            target = self._user(lambda: getattr(target, part))
        return self._user(lambda: target(*(args or ()), **(kwargs or {})))

    def handle_op(self, payload):
        """Java's PyObject methods: [operation, handle id, arguments...]."""
        (op, hid, *rest), _ = decode(payload)
        try:
            obj = _handles[hid]
        except KeyError:
            raise ValueError('this PyObject was closed') from None
        if op == 'type':
            return type(obj).__qualname__
        if op == 'java':
            return obj
        if op == 'getattr':
            return AsHandle(self._user(lambda: getattr(obj, rest[0])))
        if op == 'setattr':
            self._user(lambda: setattr(obj, rest[0], rest[1]))
            return None
        if op == 'call':
            args, kwargs, as_handle = rest
            result = self._user(lambda: obj(*args, **(kwargs or {})))
            return AsHandle(result) if as_handle else result
        if op == 'method':
            name, args = rest
            return self._user(lambda: getattr(obj, name)(*args))
        if op == 'service':
            # a registered service's method: absent and the interface has a default -> [False]
            name, args, is_default = rest
            method = self._user(lambda: getattr(obj, name, _END) if is_default else getattr(obj, name))
            if method is _END:
                return [False, None]
            return [True, self._user(lambda: method(*args))]
        if op == 'iter':
            return AsHandle(self._user(lambda: iter(obj)))
        if op == 'next':
            # up to rest[0] steps: [items, done]; an exception after some items is raised by the next pull
            failed = _failed_steps.pop(hid, None)
            if failed is not None:
                raise failed
            items = []
            for _ in range(rest[0]):
                try:
                    item = self._user(lambda: next(obj, _END))
                except BaseException as e:
                    if not items:
                        raise
                    _failed_steps[hid] = e
                    return [items, False]
                if item is _END:
                    return [items, True]
                items.append(item)
            return [items, False]
        if op == 'close':
            close = getattr(obj, 'close', None)
            if close is not None:
                self._user(close)
            return None
        raise ValueError('unknown PyObject operation %r' % (op,))

    def drop(self, payload):
        """Java closed PyObjects: their handles go (what a __del__ raises is ignored, as Python does)."""
        ids, _ = decode(payload)
        for hid in ids:
            _failed_steps.pop(hid, None)
            try:
                self._user(lambda: _handles.pop(hid, None))
            except BaseException:
                pass

    def serve_one(self, kind, seq, payload):
        if kind == 'D':
            self.drop(payload)
            return
        if kind == 'c':
            self.tasks.cancel(seq)
            return
        try:
            if isinstance(payload, MemoryError):
                raise payload
            if kind == 'S':
                result = self.start(payload)
            elif kind == 'F':
                result = self.finish(payload)
            else:
                result = self.handlers[kind](payload)
            reply, value = 'R', result
        except BaseException as e:  # SystemExit too: the context stays
            reply, value = 'X', describe(e)
        finally:
            # user code may have replaced them (None, an object whose flush raises): never the server's failure
            _flush_quietly(sys.stdout)
            _flush_quietly(sys.stderr)
        write_answer(self.chan_out, reply, seq, value, lambda e: ('A', _safe_str(e)))
        self.tasks.launch()
        if self.java is not None:
            self.java.release_java_objects()
            self.java.drain_pending()

    def serve(self):
        global _depth, _in_channel
        while True:
            try:
                kind, seq, payload = self.channel.next_frame()
            except KeyboardInterrupt:
                continue  # a late interrupt between calls: nothing to stop
            except EOFError:
                return
            # between top-level requests nothing runs: an interrupt raised inside _user's finally (before it
            # could count down) must not leave the server thinking a call runs, deferring interrupts forever
            _depth = 0
            _in_channel = 0
            self.serve_one(kind, seq, payload)


def main():
    parent = int(sys.argv[1])
    watch_parent(parent)
    # a process group of its own: processes user code starts (without the sandbox) are in it, and the
    # JVM kills the group when this child ends, however it ends (they would outlive the context, and
    # the JVM, holding its stderr open). Also keeps a terminal's Ctrl-C meant for the JVM away from it.
    try:
        os.setpgid(0, 0)
    except OSError:
        pass
    chan_in, chan_out = _take_channel()
    signal.signal(signal.SIGINT, _on_sigint)
    sys.stdout = _LineSink(chan_out, 'O', '<stdout>')  # until the pyhost module puts its own in
    sys.stderr = _LineSink(chan_out, 'E', '<stderr>')
    sys.stdin = open(os.devnull)
    Server(Channel(chan_in, chan_out)).serve()
    os._exit(0)


if __name__ == '__main__':
    main()
