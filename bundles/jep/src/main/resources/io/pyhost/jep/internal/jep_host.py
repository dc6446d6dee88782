# pyhost-jep: the Python side of Jep's API on pyhost. Loaded once per Python interpreter as the
# module `jep` (so `import jep` works); every jep.Interpreter binds one _Bridge as `__jep__` in
# its globals. Java talks to Python by calling `__jep__(op, ...)`; Python talks to Java through
# the interpreter's hidden pyhost function (pyhost.call(fname, ...)) and the methods of the
# holder objects Java lends (pyhost.JavaObject).
#
# Values cross as "envelopes" (made by Java, read by _Bridge.dec): [value] for a plain value,
# [holder, class name, flags] for a Java object or class, [mark, kind, ...] for the rest.
# Python values go to Java through _Bridge.enc: plain values as they are, Java objects as their
# holders, tuples, numpy arrays, callables and other objects as [mark, kind, ...] lists.
import builtins
import sys
import _thread
import types
from importlib.machinery import ModuleSpec

import pyhost

__version__ = '4.2.2'
_LAYOUT = 1

# the bridges alive in this Python interpreter (worker mode: every SharedInterpreter's)
import weakref
_bridges = weakref.WeakSet()


# The bridge whose operation (Java -> Python) runs on this thread: code it runs without a Jep
# frame (a module's function called through a PyCallable) still finds its interpreter.
_running = _thread._local()
# In the main interpreter (worker mode) plain pyhost contexts share sys.modules, sys.meta_path and
# the Java packages imported there: code of theirs must never reach a Jep interpreter's class space.
def _in_main():
    try:
        import _interpreters
        current, main = _interpreters.get_current(), _interpreters.get_main()
        return (current[0] if isinstance(current, tuple) else int(current)) == (main[0] if isinstance(main, tuple) else int(main))
    except Exception:
        return True  # unknown: never guess an Interpreter


_IN_MAIN = _in_main()


def _bridge():
    """The bridge of the Interpreter whose code runs now: the nearest frame whose globals hold one,
    else the one whose operation runs on this thread, else (in a sub-interpreter, which is one
    Interpreter's alone) its only open one."""
    f = sys._getframe(1)
    while f is not None:
        b = f.f_globals.get('__jep__')
        if type(b).__name__ == '_Bridge' and not b.closed:
            return b
        f = f.f_back
    b = getattr(_running, 'b', None)
    if b is not None and not b.closed:
        return b
    if not _IN_MAIN:
        live = [b for b in _bridges if not b.closed]
        if len(live) == 1:
            return live[0]
    raise RuntimeError('jep: no jep Interpreter is running this code, so no Java class space is known '
                       '(Java classes are found through the Interpreter whose exec/eval/invoke runs it)')


# A Java exception that no Python exception type stands for is a RuntimeError, as in Jep; the name
# stays for code that caught it by this name.
JavaException = RuntimeError


_PY_ERRORS = {'IndexError': IndexError, 'OSError': OSError, 'TypeError': TypeError, 'ValueError': ValueError,
              'ArithmeticError': ArithmeticError, 'MemoryError': MemoryError, 'AssertionError': AssertionError,
              'ImportError': ImportError, 'AttributeError': AttributeError, 'KeyError': KeyError,
              'NotImplementedError': NotImplementedError, 'RuntimeError': RuntimeError}
_THROWN = 'io.pyhost.jep.internal.JavaThrown'


def _translate(e):
    """A pyhost.JavaError from pyhost-jep's Java side as the Python exception Jep raises for it."""
    if getattr(e, 'java_type', None) != _THROWN:
        return e
    py_type, java_type, jep_message, text = (e.java_message or '').split('\x1f', 3)
    exc = _PY_ERRORS.get(py_type, RuntimeError)(text)
    exc.java_type = java_type
    exc.jep_message = jep_message
    return exc


def _jep_text(e):
    """What Jep's JepException says after the type: the Java exception's message, else str(args[0]), else str(e)."""
    m = getattr(e, 'jep_message', None)
    if m is not None:
        return m
    args = getattr(e, 'args', None)
    if isinstance(args, tuple) and args:
        try:
            return str(args[0])
        except Exception:
            pass
    return None


def _java(method, *args):
    try:
        return method(*args)
    except pyhost.JavaError as e:
        raise _translate(e) from None


# ---- Java objects and classes as Python sees them ----


_NO_MEMBER = object()


def _member(target, name, static):
    """A Java object's (static: a Java class's) public method, as a Python callable, or its field's
    value; _NO_MEMBER when it has neither."""
    b = object.__getattribute__(target, '_jep_b')
    h = object.__getattribute__(target, '_jep_h')
    cls = object.__getattribute__(target, '_jep_cls')
    methods, fields = b.members(h, cls, static)
    if name in methods:
        def java_method(*args, **kwargs):
            if kwargs:
                raise TypeError(f'{cls}.{name}(): Java methods take positional arguments only')
            start = b.counter
            try:
                return b.dec(_java(h.call, name, [b.enc(a) for a in args]))
            finally:
                b.drop(start)
        java_method.__name__ = java_method.__qualname__ = name
        return java_method
    if name in fields:
        return b.dec(_java(h.get, name))
    return _NO_MEMBER

class _JavaObject:
    """A Java object: its public methods and fields by name."""
    __slots__ = ('_jep_h', '_jep_cls', '_jep_b', '__weakref__')

    def __init__(self, h, cls, b):
        object.__setattr__(self, '_jep_h', h)
        object.__setattr__(self, '_jep_cls', cls)
        object.__setattr__(self, '_jep_b', b)

    def __getattr__(self, name):
        member = _member(self, name, False)
        if member is _NO_MEMBER:
            raise AttributeError(f"'{object.__getattribute__(self, '_jep_cls')}' object has no attribute '{name}'")
        return member

    def __setattr__(self, name, value):
        b = object.__getattribute__(self, '_jep_b')
        cls = object.__getattribute__(self, '_jep_cls')
        h = object.__getattribute__(self, '_jep_h')
        if name not in b.members(h, cls, False)[1]:
            raise AttributeError(f"'{cls}' object has no public field '{name}'")
        _java(h.put, name, b.enc(value))

    def __dir__(self):
        b = object.__getattribute__(self, '_jep_b')
        methods, fields = b.members(object.__getattribute__(self, '_jep_h'), object.__getattribute__(self, '_jep_cls'), False)
        return sorted(methods | fields)

    def __str__(self):
        return _java(object.__getattribute__(self, '_jep_h').str)

    def __repr__(self):
        return f'<{object.__getattribute__(self, "_jep_cls")} object: {self}>'

    def __hash__(self):
        return _java(object.__getattribute__(self, '_jep_h').hash)

    def __eq__(self, other):
        b = object.__getattribute__(self, '_jep_b')
        return _java(object.__getattribute__(self, '_jep_h').same, b.enc(other))

    def __ne__(self, other):
        return not self.__eq__(other)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    @property
    def java_name(self):
        return object.__getattribute__(self, '_jep_cls')


class _JavaIterable(_JavaObject):
    __slots__ = ()

    def __iter__(self):
        b = object.__getattribute__(self, '_jep_b')
        return iter([b.dec(e) for e in _java(object.__getattribute__(self, '_jep_h').items)])


class _JavaCollection(_JavaIterable):
    __slots__ = ()

    def __len__(self):
        return _java(object.__getattribute__(self, '_jep_h').length)

    def __contains__(self, item):
        b = object.__getattribute__(self, '_jep_b')
        return _java(object.__getattribute__(self, '_jep_h').holds, b.enc(item))


class _JavaSequence(_JavaCollection):
    """A Java List or array: indexed like a Python list (negative indices count from the end)."""
    __slots__ = ()

    def _index(self, i):
        if not isinstance(i, int):
            raise TypeError(f'{object.__getattribute__(self, "_jep_cls")} indices must be integers, not {type(i).__name__}')
        n = len(self)
        j = i + n if i < 0 else i
        if not 0 <= j < n:
            raise IndexError(f'index {i} out of range for length {n}')
        return j

    def __getitem__(self, i):
        b = object.__getattribute__(self, '_jep_b')
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        return b.dec(_java(object.__getattribute__(self, '_jep_h').item, self._index(i)))

    def __setitem__(self, i, value):
        b = object.__getattribute__(self, '_jep_b')
        _java(object.__getattribute__(self, '_jep_h').setItem, self._index(i), b.enc(value))


class _JavaMap(_JavaCollection):
    __slots__ = ()

    def __getitem__(self, key):
        b = object.__getattribute__(self, '_jep_b')
        h = object.__getattribute__(self, '_jep_h')
        k = b.enc(key)
        if not _java(h.holds, k):
            raise KeyError(key)
        return b.dec(_java(h.item, k))

    def __setitem__(self, key, value):
        b = object.__getattribute__(self, '_jep_b')
        _java(object.__getattribute__(self, '_jep_h').setItem, b.enc(key), b.enc(value))

    def keys(self):
        return list(self)

    def items(self):
        return [(k, self[k]) for k in self]


_KINDS = (('A', _JavaSequence), ('L', _JavaSequence), ('M', _JavaMap), ('C', _JavaCollection), ('I', _JavaIterable))


class JavaClass:
    """A Java class: calling it constructs an instance; static methods and fields by name."""
    def __init__(self, h, cls, b):
        object.__setattr__(self, '_jep_h', h)
        object.__setattr__(self, '_jep_cls', cls)
        object.__setattr__(self, '_jep_b', b)
        object.__setattr__(self, '__name__', cls.rpartition('.')[2])
        object.__setattr__(self, '__qualname__', cls.rpartition('.')[2])
        object.__setattr__(self, '__module__', cls.rpartition('.')[0])

    def __call__(self, *args, **kwargs):
        if kwargs:
            raise TypeError(f'{self._jep_cls}(): Java constructors take positional arguments only')
        b = self._jep_b
        start = b.counter
        try:
            return b.dec(_java(self._jep_h.construct, [b.enc(a) for a in args]))
        finally:
            b.drop(start)

    def __getattr__(self, name):
        member = _member(self, name, True)
        if member is _NO_MEMBER:
            raise AttributeError(f"Java class '{object.__getattribute__(self, '_jep_cls')}' has no public static member '{name}'")
        return member

    def __setattr__(self, name, value):
        b = self._jep_b
        if name not in b.members(self._jep_h, self._jep_cls, True)[1]:
            raise AttributeError(f"Java class '{self._jep_cls}' has no public static field '{name}'")
        _java(self._jep_h.put, name, b.enc(value))

    def __dir__(self):
        methods, fields = self._jep_b.members(self._jep_h, self._jep_cls, True)
        return sorted(methods | fields)

    def __repr__(self):
        return f"<class '{self._jep_cls}'>"

    def __eq__(self, other):
        return isinstance(other, JavaClass) and other._jep_cls == self._jep_cls

    def __hash__(self):
        return hash(self._jep_cls)

    @property
    def java_name(self):
        return self._jep_cls


# ---- Java packages as Python modules (`from java.util import ArrayList`) ----

class _JavaPackage(types.ModuleType):
    """A Java package. Its classes are looked up through the running Interpreter's class space at
    each access (worker mode shares sys.modules between Interpreters of different bundles)."""

    def __getattr__(self, name):
        if name.startswith('__'):
            raise AttributeError(name)
        b = _bridge()
        full = self.__name__ + '.' + name
        c = b.java_class(full)
        if c is not None:
            return c
        if b.is_package(full):
            import importlib
            return importlib.import_module(full)
        raise AttributeError(f"Java package '{self.__name__}' has no public class or package '{name}' "
                             f"visible to {b.space}")


class _JavaFinder:
    """On sys.meta_path, after Python's own finders: a name is a Java package when the running
    Interpreter's ClassEnquirer says so."""

    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        if sys.modules.get('pyhost') is not pyhost:
            return None  # left by a pyhost-jep or core that stopped (the main interpreter lives on): inert
        try:
            b = _bridge()
        except RuntimeError:
            return None
        if not b.is_package(fullname):
            return None
        return ModuleSpec(fullname, cls, is_package=True)

    @classmethod
    def create_module(cls, spec):
        return _JavaPackage(spec.name)

    @classmethod
    def exec_module(cls, module):
        module.__path__ = []


def _install_finder():
    """Ours, once: the finder of an earlier jep module (an earlier pyhost-jep or core: the main
    interpreter outlives both) calls a retired pyhost module, so it is replaced."""
    sys.meta_path[:] = [f for f in sys.meta_path
                        if f is _JavaFinder or not (getattr(f, '__name__', None) == '_JavaFinder'
                                                     and getattr(f, '__module__', None) == __name__)]
    if _JavaFinder not in sys.meta_path:
        sys.meta_path.append(_JavaFinder)
    for name, module in list(sys.modules.items()):  # Java packages imported through such a finder go with it
        if type(module).__name__ == '_JavaPackage' and type(module) is not _JavaPackage:
            sys.modules.pop(name, None)


# ---- jep's Python functions ----

def findClass(name):
    """The Java class `name` (dotted), through the running Interpreter's class space."""
    c = _bridge().java_class(name)
    if c is None:
        raise ImportError(f"no Java class '{name}' is visible to {_bridge().space}")
    return c


# Jep's type ids, for jarray(length, JINT_ID, ...)
JBOOLEAN_ID = 0
JINT_ID = 1
JLONG_ID = 2
JOBJECT_ID = 3
JSTRING_ID = 4
JVOID_ID = 5
JDOUBLE_ID = 6
JSHORT_ID = 7
JFLOAT_ID = 8
JARRAY_ID = 9
JCHAR_ID = 10
JBYTE_ID = 11
JCLASS_ID = 12
_ID_CODES = {JBOOLEAN_ID: 'z', JINT_ID: 'i', JLONG_ID: 'j', JDOUBLE_ID: 'd', JSHORT_ID: 's', JFLOAT_ID: 'f',
             JCHAR_ID: 'c', JBYTE_ID: 'b', JOBJECT_ID: 'java.lang.Object', JSTRING_ID: 'java.lang.String'}
_PRIMITIVE_CODES = {'boolean': 'z', 'int': 'i', 'long': 'j', 'double': 'd', 'short': 's', 'float': 'f',
                    'char': 'c', 'byte': 'b'}


def jarray(length, component, initial=None):
    """A new Java array of `length` elements: component a Java class (Integer.TYPE for int), one of
    'z' 'b' 'c' 's' 'i' 'j' 'f' 'd' (boolean ... double) or Jep's JINT_ID ... for primitives."""
    b = _bridge()
    comp = component._jep_cls if isinstance(component, JavaClass) else component
    if type(comp) is int:
        comp = _ID_CODES.get(comp, comp)
    comp = _PRIMITIVE_CODES.get(comp, comp)
    if not isinstance(comp, str):
        raise TypeError('jarray: the component type must be a Java class or a primitive type code')
    return b.dec(b.java('jarray', length, comp, b.enc(initial)))


def jproxy(obj, interfaces):
    """A Java object implementing the Java `interfaces` (names or classes) by calling obj's methods."""
    b = _bridge()
    names = [i._jep_cls if isinstance(i, JavaClass) else i for i in interfaces]
    return b.dec(b.java('jproxy', b.enc(obj, True), names))


# ---- one bridge per Interpreter ----

class _Bridge:
    __slots__ = ('g', 'fname', 'mark', 'space', 'closed', 'stash', 'counter', 'classes', 'member_cache', 'codes',
                 'error', '__weakref__')

    def __init__(self, g, fname, mark, space):
        self.g = g
        self.fname = fname
        self.mark = mark
        self.space = space
        self.closed = False
        self.stash = {}
        self.counter = 0
        self.classes = {}
        self.member_cache = {}
        self.codes = {}
        self.error = None

    def __call__(self, op, *args):
        outer = getattr(_running, 'b', None)
        _running.b = self
        try:
            return getattr(self, 'op_' + op)(*args)
        except BaseException as e:
            # Java asks for it (op_errortext) to word its JepException as Jep does
            try:
                self.error = (str(e), _jep_text(e))
            except BaseException:
                self.error = None
            raise
        finally:
            _running.b = outer

    def op_errortext(self, shown):
        """Jep's text for the exception Java just got, if its str() is `shown`; forgotten once asked."""
        error, self.error = self.error, None
        if error is None or error[0] != shown:
            return None
        return error[1]

    def op_exec(self, source):
        exec(self.code(source, 'exec'), self.g)

    def __repr__(self):
        return f'<jep interpreter bridge for {self.space}>'

    # -- Java, asked by Python --

    def java(self, op, *args):
        if self.fname is None:
            raise ImportError('jep: Java classes are not reachable from this Interpreter: pyhost-jep runs without '
                              'an OSGi framework here, so it could not register its Java bridge')
        try:
            return pyhost.call(self.fname, op, *args)
        except pyhost.JavaError as e:
            raise _translate(e) from None

    def java_class(self, name):
        c = self.classes.get(name)
        if c is None:
            env = self.java('class', name)
            if env[0] is None:
                return None
            c = self.classes[name] = self.dec(env)
        return c

    def is_package(self, name):
        return self.java('package', name)

    def members(self, h, cls, static):
        key = (cls, static)
        m = self.member_cache.get(key)
        if m is None:
            methods, fields = _java(h.members)
            m = self.member_cache[key] = (frozenset(methods), frozenset(fields))
        return m

    # -- values --

    def dec(self, env):
        """A Java envelope as a Python value."""
        if len(env) == 1:
            return env[0]
        head = env[0]
        if head.__class__ is str:
            kind = env[1]
            if kind == 'P':
                return env[2]
            import numpy
            if kind == 'N':
                return numpy.frombuffer(env[4], dtype=env[2]).reshape(env[3]).copy()
            if kind == 'D':
                return numpy.frombuffer(env[4], dtype=env[2]).reshape(env[3])
            raise ValueError(f'jep: unknown value kind {kind!r}')
        h, cls, flags = env
        if 'K' in flags:
            return JavaClass(h, cls, self)
        for flag, kind in _KINDS:
            if flag in flags:
                return kind(h, cls, self)
        return _JavaObject(h, cls, self)

    def enc(self, v, keep=False):
        """A Python value as Java reads it (keep: stash even a plain value, as the object itself)."""
        t = v.__class__
        if not keep and (v is None or t is str or t is int or t is float or t is bool):
            return v
        if isinstance(v, (_JavaObject, JavaClass)):
            return object.__getattribute__(v, '_jep_h')
        if t is pyhost.JavaObject:
            return v
        if keep:
            return [self.mark, 'O', self.keep(v), t.__name__, '']
        if t is list:
            return [self.enc(x) for x in v]
        if t is tuple:
            return [self.mark, 'T'] + [self.enc(x) for x in v]
        if t is dict:
            out = {}
            for k, x in v.items():
                ek = self.enc(k)
                out[tuple(ek) if ek.__class__ is list else ek] = self.enc(x)
            return out
        if t is bytes or t is bytearray:
            return bytes(v)
        if t is set or t is frozenset:
            return {self.enc(x) for x in v}
        module = getattr(t, '__module__', '')
        if module == 'numpy' and t.__name__ == 'ndarray':
            import numpy
            a = numpy.ascontiguousarray(v)
            return [self.mark, 'N', a.dtype.str, list(a.shape), a.tobytes(), self.keep(v)]
        if module == 'numpy' and hasattr(v, 'item'):
            return self.enc(v.item())
        if isinstance(v, bool):
            return bool(v)
        if isinstance(v, int):
            return int(v)
        if isinstance(v, float):
            return float(v)
        if isinstance(v, str):
            return str(v)
        if callable(v):
            return [self.mark, 'C', self.keep(v), t.__name__]
        try:
            text = str(v)
        except Exception as e:  # an object whose __str__ fails still reaches Java as a PyObject
            text = f'<{t.__name__} object: str() raised {type(e).__name__}>'
        return [self.mark, 'O', self.keep(v), t.__name__, text]

    def keep(self, v):
        self.counter += 1
        self.stash[self.counter] = v
        return self.counter

    def drop(self, since):
        """Forgets what was stashed for a call to Java that has ended (Java took what it needed)."""
        for k in range(since + 1, self.counter + 1):
            self.stash.pop(k, None)

    def code(self, source, mode):
        key = (source, mode)
        c = self.codes.get(key)
        if c is None:
            c = compile(source, '<string>', mode)
            if len(self.codes) >= 256:
                self.codes.clear()
            self.codes[key] = c
        return c

    # -- operations Java asks for (ctx.call(None, '__jep__', [op, ...])) --

    def op_get(self, expr):
        self.stash.clear()
        return self.enc(eval(self.code(expr, 'eval'), self.g))

    def op_single(self, source):
        exec(self.code(source if source.endswith('\n') else source + '\n', 'single'), self.g)

    def op_run(self, source, filename):
        exec(compile(source, filename, 'exec'), self.g)

    def op_set(self, name, env):
        self.g[name] = self.dec(env)

    def op_resolve(self, name):
        """The object a dotted name stands for: a global (or builtin), then attributes."""
        first, *rest = name.split('.')
        if first in self.g:
            obj = self.g[first]
        elif hasattr(builtins, first):
            obj = getattr(builtins, first)
        else:
            raise NameError(f"name '{first}' is not defined")
        for part in rest:
            obj = getattr(obj, part)
        return obj

    def op_invoke(self, name, args, kwargs):
        self.stash.clear()
        target = self.op_resolve(name)
        if not callable(target):
            raise TypeError(f"'{name}' is not callable (a {type(target).__name__})")
        return self.enc(target(*[self.dec(a) for a in args], **{k: self.dec(x) for k, x in (kwargs or {}).items()}))

    def op_call(self, obj, args, kwargs):
        self.stash.clear()
        return self.enc(obj(*[self.dec(a) for a in args], **{k: self.dec(x) for k, x in (kwargs or {}).items()}))

    def op_callkeep(self, obj, args, kwargs):
        return obj(*[self.dec(a) for a in args], **{k: self.dec(x) for k, x in (kwargs or {}).items()})

    def op_callmethod(self, obj, name, args):
        self.stash.clear()
        return self.enc(getattr(obj, name)(*[self.dec(a) for a in args]))

    def op_callmethodkeep(self, obj, name, args):
        return getattr(obj, name)(*[self.dec(a) for a in args])

    def op_hasmethod(self, obj, name):
        return callable(getattr(obj, name, None))

    def op_getattr(self, obj, name):
        self.stash.clear()
        return self.enc(getattr(obj, name))

    def op_setattr(self, obj, name, env):
        setattr(obj, name, self.dec(env))

    def op_delattr(self, obj, name):
        delattr(obj, name)

    def op_as(self, obj):
        self.stash.clear()
        return self.enc(obj)

    def op_callable(self, obj):
        return callable(obj)

    def op_str(self, obj):
        return str(obj)

    def op_hash(self, obj):
        return hash(obj)

    def op_eq(self, obj, env):
        return bool(obj == self.dec(env))

    def op_alone(self):
        """Whether no Python thread of this interpreter runs besides the caller (Jep checks before closing a SubInterpreter)."""
        t = sys.modules.get('threading')
        if t is None:
            return True
        me = t.current_thread()
        return not any(x is not me and x.is_alive() and not isinstance(x, (t._DummyThread, t._MainThread))
                       for x in t.enumerate())

    def op_close(self):
        self.closed = True
        self.stash.clear()
        self.classes.clear()
        self.member_cache.clear()
        self.codes.clear()
        _bridges.discard(self)


def _install(g, fname, mark, space, paths, dont_write_bytecode):
    """Binds a new bridge as g['__jep__'] and readies the interpreter for it."""
    b = _Bridge(g, fname, mark, space)
    _bridges.add(b)
    g['__jep__'] = b
    g['__name__'] = '__main__'  # as in Jep: classes defined here are __main__.X, `if __name__ == '__main__':` runs
    for p in paths:
        if p not in sys.path:
            sys.path.append(p)
    if dont_write_bytecode is not None:
        sys.dont_write_bytecode = dont_write_bytecode
    _install_finder()
