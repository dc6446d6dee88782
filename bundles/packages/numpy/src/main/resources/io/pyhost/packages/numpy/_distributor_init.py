""" Distributor init file of io.pyhost.package.numpy (pyhost), replacing numpy's own.

numpy invites distributors to replace this file (its docstring says so): numpy/__init__.py runs it
before it loads any C extension. pyhost uses it to refuse sub-interpreters with a clear message
before numpy gets that far. Why here and not later: numpy 2.4's C core loads once per process.
In a `subinterp` context (a legacy-config sub-interpreter, which does not check extensions) the
first `import numpy` of the process would *succeed* there, and from then on every worker context
would get "cannot load module more than once per process"; in `owngil` numpy's own message
("does not support loading in subinterpreters") hides in a long troubleshooting text.
"""
import sys

_interpreters = sys.modules.get('_interpreters') or __import__('_interpreters')
if _interpreters.get_current()[0] != _interpreters.get_main()[0]:
    del _interpreters
    raise ImportError(
        'numpy needs a worker context (mode "worker"): numpy 2.4 runs only in the main interpreter, '
        'and this context runs in a sub-interpreter (mode "subinterp" or "owngil"). '
        'Create the context with ContextOptions.mode("worker").', name='numpy')
del _interpreters

# what numpy's own _distributor_init.py does
try:
    from . import _distributor_init_local  # noqa: F401
except ImportError:
    pass
