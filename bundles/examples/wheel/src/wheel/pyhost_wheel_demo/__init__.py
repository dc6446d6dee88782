"""A pure-Python package that reaches pyhost as a wheel, through pyhost-maven-plugin."""

__version__ = "1.0.0"


def greet(name):
    return f"Hello, {name}, from a wheel"


def interpreter():
    """The id of the interpreter that imported this module (0 = the main one)."""
    import _interpreters
    return _interpreters.get_current()[0]
