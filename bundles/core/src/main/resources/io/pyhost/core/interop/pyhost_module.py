# The built-in `pyhost` module: Python calls Java. Run once per interpreter by pyhost core, in a
# namespace of its own that holds `_raw`, the one C entry point into Java (an FFM upcall).
#
# The stack rule (docs/interop-design.md): an upcall must start with enough stack for the JVM,
# so `_raw` is only called on threads whose CPython stack limit pyhost moved up ("ready"
# threads): pyhost's own and Java's threads (marked by Java before they run a call), and threads
# Python starts after this module loaded (they guard themselves first thing, with a full stack).
import _thread
import sys
import types

(_OP_GUARD, _OP_CALL, _OP_FUNCTIONS, _OP_INVOKE, _OP_SERVICES, _OP_REGISTER, _OP_UNREGISTER,
 _OP_OUTPUT, _OP_LOG) = range(9)
_ready = _thread._local()
# References of JavaObjects Python dropped. __del__ only appends here (no Java runs inside a
# deallocation, which can happen deep in C recursion); Java empties it at the next call.
_released = []


def _mark_ready():
    _ready.ok = True


class JavaError(Exception):
    """A Java exception raised by a function or service Python called."""

    def __init__(self, java_type, java_message, _token=0):
        super().__init__(f'{java_type}: {java_message}' if java_message else java_type)
        self.java_type = java_type
        self.java_message = java_message
        self._pyhost_token = _token


class ServiceUnavailable(JavaError):
    """The function or service is absent, has left, or is not exported to Python."""


def _check_ready():
    if not getattr(_ready, 'ok', False):
        raise RuntimeError('pyhost: this thread cannot call Java: it was not started by pyhost or through '
                           'threading/_thread after pyhost loaded, or its stack is under 1 MiB, so it is not '
                           'prepared for a call into the JVM (docs/interop-design.md)')


def _raise(kind, java_type, java_message, token):
    """Called by Java to fail an operation (it answers values directly, and raises through here)."""
    if kind == 1:
        raise JavaError(java_type, java_message, token)
    raise ServiceUnavailable(java_type, java_message)


def call(name, /, *args, **kwargs):
    """Calls the Java function registered as PyFunction with pyhost.function=name."""
    if type(name) is not str and not isinstance(name, str):
        raise TypeError(f'pyhost.call: the function name must be a str, not {type(name).__name__}')
    try:
        _ready.ok  # set on prepared threads; the hot path checks readiness with one attribute read
    except AttributeError:
        _check_ready()
    return _raw(_OP_CALL, name, args, kwargs or None)


def functions():
    """The names of the Java functions visible now, sorted."""
    _check_ready()
    return _raw(_OP_FUNCTIONS)


def function(name):
    """A callable for the Java function `name` (looked up again at each call: one whose bundle
    left raises ServiceUnavailable)."""
    if not isinstance(name, str):
        raise TypeError(f'pyhost.function: the function name must be a str, not {type(name).__name__}')
    if name not in functions():
        raise ServiceUnavailable('io.pyhost.api.PyFunction', f"no function '{name}' is registered")

    def java_function(*args, **kwargs):
        return call(name, *args, **kwargs)
    java_function.__name__ = java_function.__qualname__ = name
    java_function.__doc__ = f'The Java function {name!r} (pyhost.call({name!r}, ...)).'
    return java_function


def _check_name(what, name):
    if not isinstance(name, str):
        raise TypeError(f'pyhost.{what}: the name must be a str, not {type(name).__name__}')
    if not name or '\0' in name:
        raise ValueError(f'pyhost.{what}: {name!r} is not a type name')


class JavaObject:
    """A Java object lent to Python: its public methods are called by name; handed back to Java,
    it is the very same object. Only Java makes these."""

    __slots__ = ('_pyhost_ref', '_pyhost_label', '_pyhost_methods', '__weakref__')

    def __new__(cls, *args, **kwargs):
        raise TypeError('pyhost.JavaObject: only Java makes these')

    def __getattr__(self, name):
        methods = object.__getattribute__(self, '_pyhost_methods')
        if name not in methods:
            raise AttributeError(f'{object.__getattribute__(self, "_pyhost_label")} has no public method {name!r}')
        target = self

        def java_method(*args, **kwargs):
            if kwargs:
                raise TypeError(f'{name}(): Java methods take positional arguments only')
            _check_ready()
            return _raw(_OP_INVOKE, object.__getattribute__(target, '_pyhost_ref'), name, args)
        java_method.__name__ = java_method.__qualname__ = name
        return java_method

    def __dir__(self):
        return sorted(object.__getattribute__(self, '_pyhost_methods'))

    def __repr__(self):
        return f'<pyhost.JavaObject {object.__getattribute__(self, "_pyhost_label")}>'

    def __del__(self, _append=_released.append):
        try:
            _append(object.__getattribute__(self, '_pyhost_ref'))
        except AttributeError:
            pass


def _make(ref, label, methods):
    standin = object.__new__(JavaObject)
    object.__setattr__(standin, '_pyhost_ref', ref)
    object.__setattr__(standin, '_pyhost_label', label)
    object.__setattr__(standin, '_pyhost_methods', frozenset(methods))
    return standin


def service(type_name, filter=None, timeout=None):
    """A proxy of the best-ranked OSGi service of type_name exported to Python (pyhost.export=true
    or core's exportFilter), matching the LDAP filter; waits up to timeout seconds for one."""
    _check_name('service', type_name)
    if filter is not None and not isinstance(filter, str):
        raise TypeError(f'pyhost.service: the filter must be a str or None, not {type(filter).__name__}')
    if timeout is None:
        millis = 0
    elif isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(f'pyhost.service: the timeout must be a number of seconds or None, not {type(timeout).__name__}')
    elif not timeout >= 0 or timeout > 86400 * 365:
        raise ValueError(f'pyhost.service: the timeout must be between 0 and a year of seconds, not {timeout!r}')
    else:
        millis = int(timeout * 1000)
    _check_ready()
    return _raw(_OP_SERVICES, type_name, filter, millis, True)[0]


def services(type_name, filter=None):
    """Proxies of every OSGi service of type_name exported to Python, best-ranked first."""
    _check_name('services', type_name)
    if filter is not None and not isinstance(filter, str):
        raise TypeError(f'pyhost.services: the filter must be a str or None, not {type(filter).__name__}')
    _check_ready()
    return _raw(_OP_SERVICES, type_name, filter, 0, False)


class Registration:
    """A Python object registered as an OSGi service; unregister() ends it (and so does the end of
    the context that registered it)."""

    __slots__ = ('_pyhost_token', 'service_id', 'type_names')

    def __init__(self, token, service_id, type_names):
        self._pyhost_token = token
        self.service_id = service_id
        self.type_names = type_names

    def unregister(self):
        """Unregisters the service; calling it again does nothing."""
        _check_ready()
        _raw(_OP_UNREGISTER, self._pyhost_token)

    def __repr__(self):
        return f'<pyhost.Registration of {list(self.type_names)} (service id {self.service_id})>'


def register(type_names, obj, properties=None):
    """Registers obj as an OSGi service implementing the Java interfaces type_names (a name or a
    list of names); Java calls its methods by name. Returns a Registration."""
    names = [type_names] if isinstance(type_names, str) else type_names
    if not isinstance(names, (list, tuple)) or not names:
        raise TypeError('pyhost.register: type_names must be an interface name or a non-empty list of them')
    for n in names:
        _check_name('register', n)
    if properties is not None:
        if not isinstance(properties, dict) or not all(isinstance(k, str) for k in properties):
            raise TypeError('pyhost.register: properties must be a dict with str keys, or None')
    if obj is None:
        raise TypeError('pyhost.register: None cannot be a service')
    _check_ready()
    token, service_id = _raw(_OP_REGISTER, list(names), obj, dict(properties) if properties else None)
    return Registration(token, service_id, tuple(names))


# ---- output and logging go to the context (its sink, or the OSGi log) ----

# Lines and records from threads that cannot call Java (stack under 1 MiB): Java takes them at the
# next call of this interpreter.
_pending_output = []
_pending_logs = []


class _Output:
    """sys.stdout / sys.stderr: each complete line goes to the context whose code wrote it
    (ContextOptions.output, else the log). A partial line waits for its newline or flush()."""

    encoding = 'utf-8'
    errors = 'strict'
    newlines = None
    closed = False

    def __init__(self, name, error):
        self.name = name
        self._error = error
        self._partial = _thread._local()

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError(f'write() argument must be str, not {type(text).__name__}')
        pending = getattr(self._partial, 'text', '') + text
        if '\n' not in pending:
            self._partial.text = pending
            return len(text)
        *lines, rest = pending.split('\n')
        self._partial.text = rest
        self._send(lines)
        return len(text)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        rest = getattr(self._partial, 'text', '')
        if rest:
            self._partial.text = ''
            self._send([rest])

    def _send(self, lines):
        if getattr(_ready, 'ok', False):
            _raw(_OP_OUTPUT, self._error, lines)
        else:
            _pending_output.extend((self._error, line) for line in lines)

    def writable(self):
        return True

    def readable(self):
        return False

    def seekable(self):
        return False

    def isatty(self):
        return False

    def fileno(self):
        raise OSError(f'{self.name} of a pyhost context has no file descriptor (lines go to the context\'s output)')

    def __repr__(self):
        return f'<pyhost output {self.name}>'


sys.stdout = _Output('<stdout>', False)
sys.stderr = _Output('<stderr>', True)


def _send_record(record):
    message = record.getMessage()
    traceback_text = ''
    if record.exc_info and record.exc_info[0] is not None:
        import traceback
        traceback_text = ''.join(traceback.format_exception(*record.exc_info))
    elif record.exc_text:
        traceback_text = record.exc_text
    if record.stack_info:
        traceback_text = (traceback_text + '\n' + record.stack_info).strip()
    entry = (str(record.name), int(record.levelno), str(message), traceback_text, f'{record.pathname}:{record.lineno}')
    if getattr(_ready, 'ok', False):
        _raw(_OP_LOG, *entry)
    else:
        _pending_logs.append(entry)


def _install_log_handler(logging):
    """Every record that reaches the root logger goes to the OSGi log as python.<logger name>
    (a handler on the root logger). Handlers the application configures work as usual, in
    addition: an explicit logging.basicConfig() behaves as if pyhost's handler were not there."""

    class PyhostHandler(logging.Handler):
        def emit(self, record):
            try:
                _send_record(record)
            except RecursionError:
                raise
            except Exception:
                self.handleError(record)

    # An earlier pyhost core (before a core restart or refresh, the main interpreter lives on) left
    # its handler and its basicConfig wrapper: both are replaced, never stacked.
    for old in [h for h in logging.root.handlers if type(h).__name__ == 'PyhostHandler']:
        logging.root.removeHandler(old)
    original = getattr(logging, '_pyhost_original_basicConfig', logging.basicConfig)
    logging._pyhost_original_basicConfig = original
    handler = PyhostHandler(logging.NOTSET)

    def basicConfig(**kwargs):
        root = logging.root
        root.removeHandler(handler)
        try:
            original(**kwargs)
        finally:
            if handler not in root.handlers:
                root.addHandler(handler)
    basicConfig.__doc__ = original.__doc__
    logging.basicConfig = basicConfig
    logging.root.addHandler(handler)


class _LoggingLoader:
    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        _install_log_handler(module)

    def __getattr__(self, name):
        return getattr(self._loader, name)


class _WhenLoggingLoads:
    """Installs the log handler when `logging` is first imported (importing it up front would
    cost every interpreter its import time)."""

    _pyhost_logging_hook = True

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name != 'logging':
            return None
        for finder in sys.meta_path:
            if getattr(finder, '_pyhost_logging_hook', False) or not hasattr(finder, 'find_spec'):
                continue  # this hook, or one an earlier pyhost core left (they would ask each other forever)
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, 'exec_module'):
                    spec.loader = _LoggingLoader(spec.loader)
                return spec
        return None


sys.meta_path[:] = [f for f in sys.meta_path if not getattr(f, '_pyhost_logging_hook', False)]
if 'logging' in sys.modules:
    _install_log_handler(sys.modules['logging'])
else:
    sys.meta_path.insert(0, _WhenLoggingLoads)


# ---- threads Python starts guard their stack before they run anything ----

# A thread whose stack is smaller than this never enters Java, not even to guard itself: the
# JVM cannot attach a thread with a tiny stack to run an upcall (it aborts; seen with the
# 52 KiB minimum of threading.stack_size()).
_MIN_STACK = 1 << 20


def _guarded(function):
    size = _thread.stack_size()  # what the new thread gets; 0: the platform's default (MiBs)
    if 0 < size < _MIN_STACK:
        return function

    def pyhost_thread(*args, **kwargs):
        if _raw(_OP_GUARD):
            _ready.ok = True
        return function(*args, **kwargs)
    return pyhost_thread


def _original(function):
    """The function an earlier pyhost core wrapped (before a core restart or refresh: the main
    interpreter lives on), so wrappers are replaced, never stacked."""
    return getattr(function, '_pyhost_original', function)


def _wrap_thread_starts():
    start_new = _original(_thread.start_new_thread)
    start_joinable = _original(getattr(_thread, 'start_joinable_thread', None))

    def start_new_thread(function, args, kwargs=None):
        return start_new(_guarded(function), args, {} if kwargs is None else kwargs)
    start_new_thread._pyhost_original = start_new
    _thread.start_new_thread = start_new_thread
    if hasattr(_thread, 'start_new'):
        _thread.start_new = start_new_thread
    if start_joinable is not None:
        def start_joinable_thread(function, handle=None, daemon=True):
            return start_joinable(_guarded(function), handle=handle, daemon=daemon)
        start_joinable_thread._pyhost_original = start_joinable
        _thread.start_joinable_thread = start_joinable_thread
        threading = sys.modules.get('threading')  # it keeps its own reference to the original
        if threading is not None and _original(getattr(threading, '_start_joinable_thread', None)) is start_joinable:
            threading._start_joinable_thread = start_joinable_thread


def _retire():
    """Called by Java when this pyhost core stops while the interpreter lives on (the main
    interpreter): puts back what this module replaced, so nothing of it runs any more."""
    for name in ('start_new_thread', 'start_new', 'start_joinable_thread'):
        if hasattr(_thread, name):
            setattr(_thread, name, _original(getattr(_thread, name)))
    threading = sys.modules.get('threading')
    if threading is not None and hasattr(threading, '_start_joinable_thread'):
        threading._start_joinable_thread = _original(threading._start_joinable_thread)
    for name in ('stdout', 'stderr'):
        if isinstance(getattr(sys, name), _Output):
            setattr(sys, name, getattr(sys, '__' + name + '__'))
    sys.meta_path[:] = [f for f in sys.meta_path if not getattr(f, '_pyhost_logging_hook', False)]
    logging = sys.modules.get('logging')
    if logging is not None:
        for old in [h for h in logging.root.handlers if type(h).__name__ == 'PyhostHandler']:
            logging.root.removeHandler(old)
        if hasattr(logging, '_pyhost_original_basicConfig'):
            logging.basicConfig = logging.__dict__.pop('_pyhost_original_basicConfig')
    if sys.modules.get('pyhost') is module:
        del sys.modules['pyhost']


_wrap_thread_starts()

module = types.ModuleType('pyhost', 'Python calls Java: functions (io.pyhost.api.PyFunction), exported OSGi services, '
                          'Java objects; and Python objects become OSGi services.')
for _name in ('call', 'function', 'functions', 'service', 'services', 'register', 'JavaObject', 'Registration',
              'JavaError', 'ServiceUnavailable'):
    setattr(module, _name, globals()[_name])
for _cls in (JavaError, ServiceUnavailable, JavaObject, Registration):
    _cls.__module__ = 'pyhost'
sys.modules['pyhost'] = module
