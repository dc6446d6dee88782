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
    them in the (shared) sys.modules, nor shadow a newer version of it."""
    import os
    prefix = os.path.join(path, '')
    for name, module in list(sys.modules.items()):
        location = getattr(module, '__file__', None) or ''
        if location.startswith(prefix):
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
        report = traceback.TracebackException.from_exception(exc)
        for part in _chain(report):
            part.stack = traceback.StackSummary.from_list(
                [frame for frame in part.stack if frame.filename != '<pyhost helpers>'])
        return ''.join(report.format())
    except BaseException:
        return ''


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


# ---- the sandbox: a PEP 578 audit hook that refuses process creation ----
import _thread

_REFUSED = frozenset(('os.fork', 'os.forkpty', 'os.system', 'subprocess.Popen'))
_REFUSED_PREFIXES = ('os.exec', 'os.spawn', 'os.posix_spawn')
_sandboxed_threads = set()   # worker mode: threads running a sandboxed context's call
_whole_interpreter = False   # sub-interpreters: the interpreter is the context's own
_hook_installed = False


def _sandbox_hook(event, args):
    if event in _REFUSED or event.startswith(_REFUSED_PREFIXES):
        if _whole_interpreter or _thread.get_ident() in _sandboxed_threads:
            raise RuntimeError(f'pyhost sandbox refuses {event}')


def install_sandbox(whole_interpreter):
    """Installs the hook once per interpreter (audit hooks cannot be removed)."""
    global _hook_installed, _whole_interpreter
    if whole_interpreter:
        _whole_interpreter = True
    if not _hook_installed:
        sys.addaudithook(_sandbox_hook)
        _hook_installed = True


def enter_sandbox():
    _sandboxed_threads.add(_thread.get_ident())


def leave_sandbox():
    _sandboxed_threads.discard(_thread.get_ident())


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
