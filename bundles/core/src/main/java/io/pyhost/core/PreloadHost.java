package io.pyhost.core;

import java.time.Duration;
import java.util.function.Supplier;

import io.pyhost.core.bridge.GilTask;
import io.pyhost.core.bridge.InflightCall;
import io.pyhost.core.bridge.PyErrors;
import io.pyhost.core.bridge.PythonInterpreter;
import io.pyhost.core.bridge.Values;
import io.pyhost.core.interop.PythonHost;

/**
 * The host of services a preload registered ({@code pyhost.register} in a fragment): the preload
 * belongs to no context. In the main interpreter it lives as long as its preload version (a new
 * version, or core stopping, ends it), and Java's calls on its services run on the worker lanes;
 * in a sub-interpreter it is handed to the interpreter's one context once that exists, and its
 * calls then run as that context's calls.
 */
final class PreloadHost implements PythonHost {
    private final PythonInterpreter interpreter;
    private final Supplier<Duration> timeout;
    private volatile PythonContext context;

    PreloadHost(PythonInterpreter interpreter, Supplier<Duration> timeout) {
        this.interpreter = interpreter;
        this.timeout = timeout;
    }

    void handTo(PythonContext owner) {
        this.context = owner;
        owner.adoptPreloadHost(this);
        io.pyhost.core.interop.PythonServices.shared().describeAgain(this); // pyhost.host names the context now
    }

    @Override
    public <T> T run(GilTask<T> work) {
        PythonContext owner = context;
        if (owner != null) {
            return owner.run(work);
        }
        InflightCall call = new InflightCall();
        try {
            return interpreter.call(call, timeout.get(), in -> {
                // like a context's call: the thread may call Java from here (pyhost.call in the service method)
                io.pyhost.core.interop.PyhostModule.beforeCall(in);
                try {
                    return PythonHost.with(this, () -> work.run(in));
                } catch (Values.ConversionException e) {
                    throw PyErrors.fetch(in, call);
                }
            });
        } catch (PythonInterpreter.CallTimeoutException e) {
            throw new io.pyhost.api.PyException("builtins.TimeoutError", e.getMessage(), "", null, io.pyhost.api.PyException.Kind.TIMEOUT);
        }
    }

    @Override
    public String describe() {
        PythonContext owner = context;
        return owner != null ? owner.describe() : "the preload of " + (interpreter.isMain() ? "the main interpreter" : "a sub-interpreter");
    }
}
