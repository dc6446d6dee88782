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

_OP_GUARD, _OP_CALL, _OP_FUNCTIONS = 0, 1, 2
_ready = _thread._local()


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


def _result(answer):
    kind = answer[0]
    if kind == 0:
        return answer[1]
    if kind == 1:
        raise JavaError(answer[1], answer[2], answer[3])
    raise ServiceUnavailable(answer[1], answer[2])


def call(name, /, *args, **kwargs):
    """Calls the Java function registered as PyFunction with pyhost.function=name."""
    if not isinstance(name, str):
        raise TypeError(f'pyhost.call: the function name must be a str, not {type(name).__name__}')
    _check_ready()
    return _result(_raw(_OP_CALL, name, args, kwargs or None))


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


def _wrap_thread_starts():
    start_new = _thread.start_new_thread
    start_joinable = getattr(_thread, 'start_joinable_thread', None)

    def start_new_thread(function, args, kwargs=None):
        return start_new(_guarded(function), args, {} if kwargs is None else kwargs)
    _thread.start_new_thread = start_new_thread
    if hasattr(_thread, 'start_new'):
        _thread.start_new = start_new_thread
    if start_joinable is not None:
        def start_joinable_thread(function, handle=None, daemon=True):
            return start_joinable(_guarded(function), handle=handle, daemon=daemon)
        _thread.start_joinable_thread = start_joinable_thread
        threading = sys.modules.get('threading')  # it keeps its own reference to the original
        if threading is not None and getattr(threading, '_start_joinable_thread', None) is start_joinable:
            threading._start_joinable_thread = start_joinable_thread


_wrap_thread_starts()

module = types.ModuleType('pyhost', 'Python calls Java: functions registered as io.pyhost.api.PyFunction services.')
for _name in ('call', 'function', 'functions', 'JavaError', 'ServiceUnavailable'):
    setattr(module, _name, globals()[_name])
JavaError.__module__ = ServiceUnavailable.__module__ = 'pyhost'
sys.modules['pyhost'] = module
