# pyhost's helpers, run once in every interpreter pyhost uses, in a namespace of their own
# (never in sys.modules, so contexts cannot see or replace them).
import builtins
import sys
import types

# traceback is imported when an exception is formatted: importing it (and linecache, tokenize,
# re...) in every new sub-interpreter costs milliseconds that most contexts never need.

# sys.path entries pyhost added, kept on sys itself so that a restarted core (whose helpers are
# new) still knows which entries are its own.
_applied_paths = sys.__dict__.setdefault('_pyhost_paths', [])


def build_preload(paths, imports, fragments):
    """A fresh preload namespace: registered paths, then imports, then each fragment in order.

    paths: sys.path entries to have (earlier pyhost entries no longer registered are removed);
    imports: module names, imported as an import statement in the namespace would;
    fragments: (origin, code) pairs, each compiled with its origin as file name, so a
    traceback names the fragment and its own line numbers.
    """
    for path in list(_applied_paths):
        if path not in paths:
            if path in sys.path:
                sys.path.remove(path)
            _applied_paths.remove(path)
            _forget_modules_under(path)
    for path in paths:
        if path not in sys.path:
            sys.path.append(path)
        if path not in _applied_paths:
            _applied_paths.append(path)
    # keep pyhost's entries in the registered order (a package before the plugins that require
    # it), also where sys.path outlives a preload version (worker mode) and an entry came late
    if [p for p in sys.path if p in paths] != paths:
        sys.path[:] = [p for p in sys.path if p not in paths] + paths
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


def _forget_modules_under(path):
    """A withdrawn path takes its modules along: they must not outlive the plugin that shipped
    them in the (shared) sys.modules, nor shadow a newer version of it. Except a top-level
    package that loaded an extension module (numpy): most cannot be loaded twice in one process
    ("cannot load module more than once per process"), so forgetting it would only make every
    later import fail, the package bundle's restart included."""
    import os
    from importlib.machinery import EXTENSION_SUFFIXES
    prefix = os.path.join(path, '')
    under = {name: getattr(module, '__file__', None) or '' for name, module in list(sys.modules.items())}
    under = {name: location for name, location in under.items() if location.startswith(prefix)}
    native = {name.partition('.')[0] for name, location in under.items() if location.endswith(tuple(EXTENSION_SUFFIXES))}
    for name in under:
        if name.partition('.')[0] not in native:
            del sys.modules[name]
    sys.path_importer_cache.pop(path, None)


def copy_namespace(source):
    """A context's copy of a preload namespace.

    Plain containers (dict, list, set, bytearray, and tuples holding any) are copied deeply,
    so a mutation in one context never shows in another. Functions defined by the preload are
    re-made on the copy, so their globals are the context's own: `global COUNTER` in a
    preloaded function changes that context's COUNTER only. Modules, classes and other objects
    are shared, as they cannot be copied (methods of preloaded classes keep the preload's globals).
    """
    memo = {}
    out = {}
    memo[id(source)] = out

    def rebind(function):
        copy = types.FunctionType(function.__code__, out, function.__name__, function.__defaults__,
                                  function.__closure__, function.__kwdefaults__)
        copy.__qualname__ = function.__qualname__
        copy.__doc__ = function.__doc__
        copy.__module__ = function.__module__
        copy.__dict__.update(function.__dict__)
        annotate = getattr(function, '__annotate__', None)
        if annotate is not None:
            copy.__annotate__ = annotate
        return copy

    def copy(value):
        kind = type(value)
        if kind is types.FunctionType:
            if value.__globals__ is not source:
                return value
        elif kind is not dict and kind is not list and kind is not set and kind is not bytearray and kind is not tuple:
            return value
        key = id(value)
        if key in memo:
            return memo[key]
        if kind is types.FunctionType:
            result = memo[key] = rebind(value)
        elif kind is dict:
            result = memo[key] = {}
            for k, v in value.items():
                result[k] = copy(v)
        elif kind is list:
            result = memo[key] = []
            for v in value:
                result.append(copy(v))
        elif kind is set:
            result = memo[key] = set(value)  # elements are hashable, hence immutable enough
        elif kind is bytearray:
            result = memo[key] = bytearray(value)
        else:
            items = [copy(v) for v in value]
            result = value if all(a is b for a, b in zip(items, value)) else tuple(items)
            memo[key] = result
        return result

    for name, value in source.items():
        out[name] = copy(value)
    return out


def format_exception(exc):
    """The traceback text CPython would print, without pyhost's own frames."""
    try:
        import traceback
        _prune_sandbox_frames(exc)
        report = traceback.TracebackException.from_exception(exc)
        for part in _chain(report):
            part.stack = traceback.StackSummary.from_list(
                [frame for frame in part.stack if frame.filename != '<pyhost helpers>'])
        return ''.join(report.format())
    except BaseException:
        return ''


def _prune_sandbox_frames(exc):
    """Unlinks the frames of the sandbox's secret functions from the tracebacks of exc and the
    exceptions it chains to (the hook refuses reading their code in sandboxed scope)."""
    if not _sandbox_secret_globals:
        return
    seen = set()
    pending = [exc]
    while pending:
        e = pending.pop()
        if not isinstance(e, BaseException) or id(e) in seen:
            continue
        seen.add(id(e))
        kept, count, tb = [], 0, e.__traceback__
        while tb is not None:
            count += 1
            frame_globals = tb.tb_frame.f_globals
            if not any(frame_globals is secret for secret in _sandbox_secret_globals):
                kept.append(tb)
            tb = tb.tb_next
        if len(kept) != count:
            for current, following in zip(kept, kept[1:] + [None]):
                current.tb_next = following
            e.__traceback__ = kept[0] if kept else None
        pending += [e.__cause__, e.__context__, *getattr(e, 'exceptions', ())]


def _chain(report):  # the report and the reports it was caused by
    seen = set()
    while report is not None and id(report) not in seen:
        seen.add(id(report))
        yield report
        report = report.__cause__ or report.__context__


def qualified_type(exc):
    kind = type(exc)
    module = getattr(kind, '__module__', None) or 'builtins'
    return module + '.' + getattr(kind, '__qualname__', kind.__name__)


def exception_notes(exc):
    notes = getattr(exc, '__notes__', None)
    return '; '.join(str(n) for n in notes) if isinstance(notes, list) else ''


def exception_message(exc):
    try:
        return str(exc)
    except BaseException:
        return '<unprintable ' + type(exc).__name__ + '>'


def resolve(module, function, namespace):
    """The callable `module.function` (dotted function names walk attributes)."""
    if module:
        import importlib
        target = importlib.import_module(module)
        for part in function.split('.'):
            target = getattr(target, part)
        return target
    head, _, rest = function.partition('.')
    if head not in namespace:
        raise NameError(f"name '{head}' is not defined")
    target = namespace[head]
    for part in rest.split('.') if rest else ():
        target = getattr(target, part)
    return target


# ---- the sandbox: a PEP 578 audit hook plus stubs for what raises no audit event ----
#
# Everything the sandbox decides with lives in the code constants of its functions (co_consts),
# never in globals, closures or defaults: those are readable without an audit event
# (f_globals, __globals__, __closure__, f_locals), co_consts only through __code__, f_code and
# gc, which the hook refuses for the sandbox's own functions. Each function has a globals dict
# of its own (empty but for empty builtins). Two such dicts mark two kinds of function:
#   public  the hook and the stubs: their constants hold nothing that could switch anything off;
#   secret  what holds the set of sandboxed threads (worker mode) or an original function: the
#           hook refuses reading their code in sandboxed scope, and they never raise (a frame
#           in a traceback is readable), they return _SANDBOX_REFUSED instead.
# Worker mode keeps the set of sandboxed thread idents (ints) as a constant of a secret function;
# Java adds and removes the calling thread's ident with PySet_Add/PySet_Discard (no Python frame).

# Events refused in sandboxed scope. Process creation, signals to the process, ctypes, process
# limits, another interpreter, and the introspection that reaches the sandbox's own objects or
# lets code run inside its frames (tracing, profiling, monitoring callbacks).
_SANDBOX_EVENTS = frozenset((
    'os.system', 'os.fork', 'os.forkpty', 'subprocess.Popen', 'os.kill', 'os.killpg', 'signal.pthread_kill',
    'resource.setrlimit', 'resource.prlimit', 'sys.remote_exec', 'cpython.PyInterpreterState_New',
    'gc.get_objects', 'gc.get_referrers', 'gc.get_referents',
    'sys.settrace', 'sys.setprofile', 'sys._settraceallthreads', 'sys._setprofileallthreads',
    'sys.monitoring.register_callback'))
_SANDBOX_EVENT_PREFIXES = ('os.exec', 'os.spawn', 'os.posix_spawn', 'ctypes.')
# Worker mode only: the per-thread scope needs its thread to keep to itself (another thread is
# outside the sandbox; frames of other threads and of callers reach shared state).
# (sys._getframe stays allowed: logging, inspect and warnings need the caller's own frames, and
# the hook's state lives in code constants that no frame exposes.)
_SANDBOX_THREAD_EVENTS = frozenset((
    'sys._current_frames', 'sys._current_exceptions',
    '_thread.start_new_thread', '_thread.start_joinable_thread'))
# Modules whose (re)import is refused, by the last part of the name: what reaches processes,
# signals, raw memory or crashes; also posix, _signal, _imp and _posixsubprocess, whose loaded
# copies carry stubs (a fresh copy would not). Plus every _test* module (crash helpers).
_SANDBOX_MODULES = frozenset((
    'posix', 'nt', '_posixsubprocess', '_signal', '_ctypes', 'ctypes', 'faulthandler', '_imp',
    '_remote_debugging', '_interpreters', '_interpchannels', '_interpqueues'))
# Functions that raise no audit event, replaced in their modules (and in every namespace that
# kept a reference before the sandbox came) by stubs that refuse.
_SANDBOX_STUBS = (
    ('posix', ('_exit', 'abort')),
    ('os', ('_exit', 'abort')),
    ('_signal', ('raise_signal', 'alarm', 'setitimer', 'pidfd_send_signal')),
    ('signal', ('raise_signal', 'alarm', 'setitimer', 'pidfd_send_signal')),
    ('_posixsubprocess', ('fork_exec',)),
    ('subprocess', ('_fork_exec',)),
    ('faulthandler', None),  # None: every public callable
    # a new interpreter has no hook (its creation event does not reach ours); the others run code
    # in, or end, an interpreter that is not this one (another context's, or the main one)
    ('_interpreters', ('create', 'destroy', 'exec', 'call', 'run_func', 'run_string', 'set___main___attrs',
                       'incref', 'decref')),
)
_SANDBOX_REFUSED = object()
_sandbox_installed = []        # whole-interpreter sandboxes: installed once
_sandbox_secret_globals = []   # the secret globals dicts, for format_exception to prune such frames

_HOOK_SOURCE = '''
def pyhost_sandbox_hook(event, args):
    if event in EVENTS or event.startswith(K_PREFIXES):
        if SANDBOXED:
            raise K_REFUSE.__call__('pyhost sandbox refuses ' + event)
    elif event == 'import':
        name = K_STR.__call__(args[0])
        last = name.rpartition('.')[2]
        if (last in MODULES or last.startswith('_test')) and SANDBOXED:
            raise K_IMPORT_ERROR.__call__('pyhost sandbox refuses to import ' + name)
    elif event == 'object.__getattr__':
        name = args[1]
        if name == 'f_code':
            if K_IS.__call__(args[0].f_globals, K_SECRET) and SANDBOXED:
                raise K_REFUSE.__call__('pyhost sandbox refuses to read the code of its own frames')
        elif name == '__code__' or name == '__defaults__':
            if K_IS.__call__(args[0].__globals__, K_SECRET) and SANDBOXED:
                raise K_REFUSE.__call__('pyhost sandbox refuses to read the code of its own functions')
    elif event == 'object.__setattr__':
        if args[1] in ('__code__', '__defaults__', '__kwdefaults__'):
            owner = K_GETATTR.__call__(args[0], '__globals__', None)
            if K_IS.__call__(owner, K_SECRET) or K_IS.__call__(owner, K_PUBLIC):
                raise K_REFUSE.__call__('pyhost sandbox refuses to change its own functions')
'''

# secret, worker mode: is the calling thread sandboxed?
_SANDBOXED_SOURCE = '''
def pyhost_sandboxed():
    return K_THREADS.__contains__(K_IDENT.__call__())
'''

# public: the stub that replaces a function without an audit event
_STUB_SOURCE = '''
def pyhost_sandbox_stub(*args, **kwargs):
    result = K_PASS.__call__(*args, **kwargs)
    if K_IS.__call__(result, K_REFUSED):
        raise K_REFUSE.__call__(K_MESSAGE)
    return result
'''

# secret: calls the original outside sandboxed scope (worker mode, other threads)
_PASS_SOURCE = '''
def pyhost_sandbox_pass(*args, **kwargs):
    if SANDBOXED:
        return K_REFUSED
    return K_ORIGINAL.__call__(*args, **kwargs)
'''

# _imp.create_builtin makes a fresh builtin module (a posix without stubs) and raises no event
_CREATE_BUILTIN_SOURCE = '''
def create_builtin(spec):
    name = K_STR.__call__(spec.name)
    module = K_PASS.__call__(name, spec)
    if K_IS.__call__(module, K_REFUSED):
        raise K_IMPORT_ERROR.__call__('pyhost sandbox refuses to create the builtin module ' + name)
    return module
'''

_CREATE_BUILTIN_PASS_SOURCE = '''
def pyhost_sandbox_create_builtin(name, spec):
    if SANDBOXED:
        if name in MODULES:
            return K_REFUSED
        return K_ORIGINAL.__call__(K_NAMESPACE.__call__(name=name))  # the name checked is the name used
    return K_ORIGINAL.__call__(spec)
'''


def _sandbox_function(source, globals_, constants, **text):
    """Compiles the one function in source. Each K_NAME becomes the constant constants[NAME];
    each upper-case key of text is replaced by its text first (set literals, SANDBOXED)."""
    import re
    for key, value in text.items():
        source = source.replace(key, value)
    source = re.sub(r'\bK_([A-Z_]+)\b', lambda m: repr('\0' + m.group(1)), source)
    module = compile(source, '<pyhost sandbox>', 'exec')
    code = next(c for c in module.co_consts if isinstance(c, types.CodeType))
    consts = tuple(constants[c[1:]] if type(c) is str and c.startswith('\0') else c for c in code.co_consts)
    return types.FunctionType(code.replace(co_consts=consts), globals_, code.co_name)


def _set_literal(names):
    return '{' + ', '.join(repr(n) for n in sorted(names)) + '}'


def install_sandbox(whole_interpreter):
    """Installs the sandbox in this interpreter. whole_interpreter (a sub-interpreter, the
    context's own): everything in it is sandboxed, for good; returns None. Otherwise (the main
    interpreter, worker mode): installs the per-thread sandbox and returns the set of sandboxed
    thread idents for Java to keep (a new one per call: Java calls this once per interpreter).
    Audit hooks cannot be removed; a second whole-interpreter install does nothing."""
    import _imp
    import _operator
    import _thread
    if whole_interpreter and _sandbox_installed:
        return None
    public = {'__builtins__': {}}
    secret = {'__builtins__': {}}
    constants = {'REFUSE': RuntimeError, 'IMPORT_ERROR': ImportError, 'STR': str.__str__, 'IS': _operator.is_,
                 'GETATTR': getattr, 'SECRET': secret, 'PUBLIC': public,
                 'PREFIXES': _SANDBOX_EVENT_PREFIXES, 'REFUSED': _SANDBOX_REFUSED,
                 'NAMESPACE': types.SimpleNamespace}
    threads = None
    if whole_interpreter:
        sandboxed = 'True'
        events = _SANDBOX_EVENTS
    else:
        threads = set()
        constants['THREADS'] = threads
        constants['IDENT'] = _thread.get_ident  # the builtin itself: replacing _thread.get_ident changes nothing
        constants['SANDBOXED'] = _sandbox_function(_SANDBOXED_SOURCE, secret, constants)
        sandboxed = 'K_SANDBOXED.__call__()'
        events = _SANDBOX_EVENTS | _SANDBOX_THREAD_EVENTS
    text = {'EVENTS': _set_literal(events), 'MODULES': _set_literal(_SANDBOX_MODULES), 'SANDBOXED': sandboxed}

    def stub(original, message):
        passing = _sandbox_function(_PASS_SOURCE, secret, dict(constants, ORIGINAL=original), **text)
        made = _sandbox_function(_STUB_SOURCE, public, dict(constants, PASS=passing, MESSAGE=message))
        made.__name__ = getattr(original, '__name__', made.__name__)
        made.__qualname__ = made.__name__
        made.__doc__ = getattr(original, '__doc__', None)
        return made

    _sandbox_stubs(stub, whole_interpreter)
    passing = _sandbox_function(_CREATE_BUILTIN_PASS_SOURCE, secret, dict(constants, ORIGINAL=_imp.create_builtin), **text)
    _imp.create_builtin = _sandbox_function(_CREATE_BUILTIN_SOURCE, public, dict(constants, PASS=passing))
    hook = _sandbox_function(_HOOK_SOURCE, public, constants, **text)
    _sandbox_secret_globals.append(secret)
    sys.addaudithook(hook)
    if whole_interpreter:
        _sandbox_installed.append(True)
    return threads


def _sandbox_stubs(stub, whole_interpreter):
    """Replaces the functions of _SANDBOX_STUBS by stubs, in their modules and in every namespace
    (module or preload globals) and list that refers to them."""
    import _posixsubprocess  # noqa: F401  loaded now, so the copy every later import gets has the stub
    import _signal  # noqa: F401
    import _interpreters  # noqa: F401  loaded now with `create` stubbed: `import _interpreters` keeps working
    if not whole_interpreter:
        import faulthandler  # noqa: F401  shared sys.modules: a later import by anyone must find the stubbed one
    made = {}  # id(original) -> (original, stub)
    for module_name, names in _SANDBOX_STUBS:
        module = sys.modules.get(module_name)
        if module is None:
            continue
        if names is None:
            names = [n for n in dir(module) if not n.startswith('__') and callable(getattr(module, n))]
        for name in names:
            original = getattr(module, name, None)
            if original is None:
                continue
            if id(original) not in made:
                made[id(original)] = (original, stub(original, f'pyhost sandbox refuses {module_name}.{name}'))
            setattr(module, name, made[id(original)][1])
    if not made:
        return
    import gc
    for holder in gc.get_referrers(*(original for original, _ in made.values())):
        if type(holder) is dict and '__builtins__' in holder:  # module and preload namespaces, not class dicts
            for key, value in list(holder.items()):
                entry = made.get(id(value))
                if entry is not None and entry[0] is value:
                    holder[key] = entry[1]
        elif type(holder) is list:
            for i, value in enumerate(holder):
                entry = made.get(id(value))
                if entry is not None and entry[0] is value:
                    holder[i] = entry[1]


# ---- threads of an interpreter pyhost ends or caps ----

def other_threads():
    """Idents of the threads Py_EndInterpreter would wait for: this interpreter's live, non-daemon
    threading threads other than the caller's and the interpreter's main one (for SystemExit)."""
    threading = sys.modules.get('threading')
    if threading is None:
        return []
    me = threading.get_ident()
    main = threading.main_thread()
    return [t.ident for t in threading.enumerate()
            if t.ident is not None and t.ident != me and t is not main and not t.daemon
            and not isinstance(t, threading._DummyThread)]


def refuse_threads(message):
    """Refuses thread creation in this interpreter from now on (audit hooks cannot be removed).

    The hook keeps no state: its message is a default value and the events are constants."""
    def refuse_threads_hook(event, args, _message=message):
        if event == '_thread.start_new_thread' or event == '_thread.start_joinable_thread':
            raise RuntimeError(_message)
    sys.addaudithook(refuse_threads_hook)


# ---- what no pyhost interpreter may do, sandbox or not ----

def _guard_process_wide_calls():
    """Run once per interpreter when the helpers load, before any context code.

    sys._current_frames() and sys._current_exceptions() walk the threads of *every* interpreter
    and take references to their frames without those interpreters' GILs: with an own-GIL
    context running, that corrupts the heap (seen: "double free or corruption", the JVM aborts).
    They are refused in every interpreter pyhost uses.

    sys.setswitchinterval() also sets how long a thread waiting for the GIL waits before the
    holder is asked to let go; pyhost's interrupts wait that long, so it is capped at 50 ms."""
    def refuse_cross_interpreter(*args, **kwargs):
        raise RuntimeError('pyhost refuses sys._current_frames and sys._current_exceptions: they reach '
                           "other interpreters' threads without their GIL, which can crash the process")
    sys._current_frames = refuse_cross_interpreter
    sys._current_exceptions = refuse_cross_interpreter

    original = sys.setswitchinterval

    def setswitchinterval(interval, _original=original, _cap=0.05):
        """sys.setswitchinterval, capped at 50 ms by pyhost (interrupts wait one interval for the GIL)."""
        return _original(min(interval, _cap) if isinstance(interval, (int, float)) else interval)
    if getattr(original, '__name__', '') == 'setswitchinterval' and not hasattr(original, '__wrapped_by_pyhost__'):
        setswitchinterval.__wrapped_by_pyhost__ = True
        sys.setswitchinterval = setswitchinterval
    if sys.getswitchinterval() > 0.05:
        original(0.05)


_guard_process_wide_calls()


# ---- asynchronous calls (PyContext.evalAsync / callAsync) ----

def is_awaitable(value):
    """Whether a call's result is to be awaited on the context's event loop."""
    return hasattr(type(value), '__await__') or isinstance(value, types.CoroutineType)


class AsyncState:
    """A context's asyncio event loop and the tasks Java waits for, by token. The loop runs only
    inside pyhost's calls ("slices"), so the context's other calls interleave with its tasks."""

    def __init__(self):
        import asyncio
        self.asyncio = asyncio
        self.loop = asyncio.new_event_loop()
        self.tasks = {}

    def schedule(self, token, awaitable):
        self.tasks[token] = self.asyncio.ensure_future(awaitable, loop=self.loop)

    def cancel(self, token):
        task = self.tasks.get(token)
        if task is not None:
            task.cancel()

    def drive(self, seconds):
        """Runs the loop until a task is done or `seconds` passed; returns [(token, task)] of the
        tasks done (forgotten here: Java takes their outcome)."""
        pending = [t for t in self.tasks.values() if not t.done()]
        if pending:
            self.loop.run_until_complete(
                self.asyncio.wait(pending, timeout=seconds, return_when=self.asyncio.FIRST_COMPLETED))
        done = [(token, task) for token, task in self.tasks.items() if task.done()]
        for token, _ in done:
            del self.tasks[token]
        return done

    def close(self):
        """Cancels the pending tasks, lets them run their except/finally blocks (for a second at
        most), and closes the loop."""
        tasks = [t for t in self.tasks.values() if not t.done()]
        self.tasks.clear()
        try:
            for task in tasks:
                task.cancel()
            if tasks and not self.loop.is_running():
                self.loop.run_until_complete(self.asyncio.wait(tasks, timeout=1.0))
        except BaseException:
            pass
        try:
            if not self.loop.is_running():
                self.loop.close()
        except BaseException:
            pass


def async_state():
    return AsyncState()
