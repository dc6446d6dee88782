# Preload fragment of io.pyhost.examples.greetings.python (order 0).
#
# Registers a Python object as an OSGi service implementing the Java interface
# io.pyhost.examples.greetings.api.Greeter (exported by the Java bundle io.pyhost.examples.greetings,
# whose Reception component then greets through it), and uses two things of that Java bundle from
# Python: the function greetings.shout and the Counter service it exports to Python.
#
# When it runs: once per interpreter, when the first context of a mode is made after this bundle
# started (not when the bundle starts). Worker contexts share the main interpreter, so in worker
# mode the Greeter is registered once, with the first worker context, and stays registered until
# the preload changes (a plugin comes or goes) or core stops, whether or not worker contexts are
# open. In subinterp, owngil and process every context runs the preload in its own interpreter (a
# child process for process) and so registers a Greeter of its own, which leaves when that context
# closes.
try:
    import pyhost
except ImportError:  # run outside pyhost (a plain python3): nothing to register, greet() refuses
    pyhost = None

COUNTER = 'io.pyhost.examples.greetings.api.Counter'


class PythonGreeter:
    """io.pyhost.examples.greetings.api.Greeter in Python: Java calls greet(name)."""

    def greet(self, name):
        if pyhost is None:
            raise RuntimeError('greetings needs calls into Java: run it in a pyhost context')
        # a Java function: a PyFunction service with pyhost.function=greetings.shout
        shouted = pyhost.call('greetings.shout', f'hello, {name}')
        # a Java service exported to Python (pyhost.export=true), looked up at each call so that
        # a restarted Java bundle's new Counter is found
        visitor = pyhost.service(COUNTER).next()
        return f'{shouted} You are visitor {visitor}.'


def greet(name):
    """The same greeting for Python code in any context: greet('Ada')."""
    return PythonGreeter().greet(name)


# A Java caller gets 'HELLO, ADA! You are visitor 1.' from greet('Ada'); the service properties
# are these plus pyhost.host, which names the context (or preload) the calls run in.
GREETER = None if pyhost is None else pyhost.register('io.pyhost.examples.greetings.api.Greeter', PythonGreeter(),
                                                      {'language': 'python'})
