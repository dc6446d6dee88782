"""pyhost's server in a `process` mode child: one context, driven over a pipe by the JVM.

Started as `python3.X -s -P pyhost_child.py` with the channel on stdin/stdout. Stdlib only.
Frames both ways: u32 length, then kind (1 byte), seq (u64), payload (one value); big-endian.
The value encoding is the one of io.pyhost.strategy.process.Frames (Java); keep the two in step.
"""
import builtins
import os
import signal
import struct
import sys
import threading
import traceback

MAX_DEPTH = 100
_HEADER = struct.Struct('>IBQ')
_running = False          # a call of the JVM's is running user code: SIGINT raises KeyboardInterrupt
_writing = 0              # the main thread is inside write_frame: an interrupt waits until the frame is whole
_deferred = False         # an interrupt arrived while writing
_write_lock = threading.Lock()
_MAIN = threading.get_ident()
_SERVER_FILE = __file__


# ---------------------------------------------------------------- channel

def _take_channel():
    """The pipe stays for frames only: user code sees an empty stdin, and what C code writes to
    fd 1 goes to stderr (which the JVM logs)."""
    chan_in = os.fdopen(os.dup(0), 'rb', buffering=1 << 16)
    chan_out = os.fdopen(os.dup(1), 'wb', buffering=1 << 16)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    return chan_in, chan_out


def _read_exact(stream, n):
    data = stream.read(n)
    if data is None or len(data) < n:
        raise EOFError
    return data


def read_frame(stream):
    length, kind, seq = _HEADER.unpack(_read_exact(stream, _HEADER.size))
    payload = _read_exact(stream, length - 9)
    return chr(kind), seq, payload


def write_frame(stream, kind, seq, value):
    global _writing, _deferred
    out = bytearray()
    encode(value, out)
    main = threading.get_ident() == _MAIN
    if main:
        _writing += 1
    try:
        with _write_lock:
            stream.write(_HEADER.pack(len(out) + 9, ord(kind), seq))
            stream.write(out)
            stream.flush()
    finally:
        if main:
            _writing -= 1
    if main and _deferred and _running and not _writing:
        _deferred = False
        raise KeyboardInterrupt


# ---------------------------------------------------------------- values

_I64 = struct.Struct('>q')
_F64 = struct.Struct('>d')
_U32 = struct.Struct('>I')


def encode(value, out, depth=0, path=None):
    """Python to Java: the value table; anything else as its str()."""
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
        if isinstance(value, dict):
            out += b'M'
            out += _U32.pack(len(value))
            for k, v in value.items():
                encode(k, out, depth + 1, path)
                encode(v, out, depth + 1, path)
        else:
            out += b'L' if isinstance(value, list) else b'U' if isinstance(value, tuple) else b'E'
            out += _U32.pack(len(value))
            for item in value:
                encode(item, out, depth + 1, path)
        path.discard(id(value))
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
    n = _U32.unpack_from(data, pos)[0]
    pos += 4
    if tag == 0x53:  # S
        return data[pos:pos + n].decode('utf-8'), pos + n
    if tag == 0x57:  # W
        return data[pos:pos + n].decode('utf-16-le', 'surrogatepass'), pos + n
    if tag == 0x42:  # B
        return bytes(data[pos:pos + n]), pos + n
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


# ---------------------------------------------------------------- preload and calls

_applied_paths = []


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
    if not _running:
        return  # between calls (a late interrupt): nothing to stop
    if _writing:
        _deferred = True
        return
    raise KeyboardInterrupt


def describe(exc):
    """[qualified type, message, traceback, notes] without the server's own frames."""
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
    return [qualified, message, text, where]


class Server:
    def __init__(self, chan_in, chan_out):
        self.chan_in = chan_in
        self.chan_out = chan_out
        self.globals = None
        self.finished = False
        self.code_cache = {}
        self.loop = None
        self.tasks = {}

    def start(self, seq, payload):
        """The shared preload (the application's own code): a warm pool's child stops here until it is given a context."""
        config, _ = decode(payload)
        self.globals = build_preload(config['paths'], config['imports'], config['fragments'])
        return {'pid': os.getpid()}

    def finish(self, seq, payload):
        """The context's own part, once: the limits, the sandbox, then ContextOptions.preload under them."""
        config, _ = decode(payload)
        if self.globals is None or self.finished:
            raise RuntimeError('finish out of order')
        self.finished = True
        apply_limits(config.get('memory'), config.get('cpu'), config.get('open_files'))
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
        global _running, _deferred
        _deferred = False
        _running = True
        try:
            return task()
        finally:
            _running = False

    def eval(self, payload):
        (source, local_vars, awaited), _ = decode(payload)
        code = self.compiled(source, 'eval')
        if local_vars:
            result = self._user(lambda: eval(code, self.globals, dict(local_vars)))
        else:
            result = self._user(lambda: eval(code, self.globals))
        if awaited:
            import inspect
            if inspect.isawaitable(result):
                import asyncio

                async def outcome():
                    return await result
                result = self._user(lambda: asyncio.run(outcome()))
        return result

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
            target = getattr(importlib.import_module(module), head)
        else:
            try:
                target = self.globals[head]
            except KeyError:
                raise NameError("name '%s' is not defined" % head) from None
        for part in rest.split('.') if rest else ():
            target = getattr(target, part)
        return self._user(lambda: target(*(args or ()), **(kwargs or {})))

    def run_async(self, payload):
        """An async eval or call: an awaitable result runs as a task on the loop thread, and its
        outcome goes to the JVM as a 'D' frame with the task's id; anything else is answered now."""
        (task_id, kind, *what), _ = decode(payload)
        if kind == 'V':
            code = self.compiled(what[0], 'eval')
            result = self._user(lambda: eval(code, self.globals))
        else:
            result = self._call(*what)
        import inspect
        if not inspect.isawaitable(result):
            return [False, result]
        import asyncio

        async def outcome():
            return await result
        future = asyncio.run_coroutine_threadsafe(outcome(), self._loop())
        self.tasks[task_id] = future
        future.add_done_callback(lambda f: self._task_done(task_id, f))
        return [True, None]

    def _loop(self):
        """The context's asyncio loop, on a thread of its own (started at the first task)."""
        if self.loop is None:
            import asyncio
            self.loop = asyncio.new_event_loop()
            threading.Thread(target=self.loop.run_forever, name='pyhost-asyncio', daemon=True).start()
        return self.loop

    def _task_done(self, task_id, future):
        self.tasks.pop(task_id, None)
        if future.cancelled():
            import asyncio
            outcome = ['X', describe(asyncio.CancelledError())]
        elif future.exception() is not None:
            outcome = ['X', describe(future.exception())]
        else:
            outcome = ['R', future.result()]
        try:
            write_frame(self.chan_out, 'D', task_id, outcome)
        except (ValueError, RecursionError, UnicodeError) as e:
            write_frame(self.chan_out, 'D', task_id, ['A', str(e)])

    def cancel(self, payload):
        task_id, _ = decode(payload)
        future = self.tasks.pop(task_id, None)
        if future is not None:
            future.cancel()  # the loop cancels the task: it sees CancelledError
        return None

    def serve(self):
        handlers = {'V': self.eval, 'C': self.exec, 'K': self.call, 'Y': self.run_async, 'Z': self.cancel}
        while True:
            try:
                kind, seq, payload = read_frame(self.chan_in)
            except KeyboardInterrupt:
                continue  # a late interrupt between calls: nothing to stop
            except EOFError:
                return
            try:
                if kind == 'S':
                    result = self.start(seq, payload)
                elif kind == 'F':
                    result = self.finish(seq, payload)
                else:
                    result = handlers[kind](payload)
                reply, value = 'R', result
            except BaseException as e:  # SystemExit too: the context stays
                reply, value = 'X', describe(e)
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
            try:
                write_frame(self.chan_out, reply, seq, value)
            except (ValueError, RecursionError, UnicodeError) as e:  # the result cannot be converted: IllegalArgumentException
                write_frame(self.chan_out, 'A', seq, str(e))


def main():
    parent = int(sys.argv[1])
    watch_parent(parent)
    chan_in, chan_out = _take_channel()
    signal.signal(signal.SIGINT, _on_sigint)
    sys.stdout = _LineSink(chan_out, 'O', '<stdout>')
    sys.stderr = _LineSink(chan_out, 'E', '<stderr>')
    sys.stdin = open(os.devnull)
    Server(chan_in, chan_out).serve()
    os._exit(0)


if __name__ == '__main__':
    main()
