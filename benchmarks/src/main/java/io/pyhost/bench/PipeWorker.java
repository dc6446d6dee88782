package io.pyhost.bench;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;

/**
 * The process-pool peer: one CPython process that runs {@code pipe_worker.py} and answers
 * length-prefixed JSON requests over its stdin and stdout. What a Java team would build to run
 * Python beside the JVM without embedding it. Not thread-safe: one caller at a time.
 */
public final class PipeWorker implements AutoCloseable {
    private static final Gson GSON = new Gson();
    private static Path script;

    private final Process process;
    private final DataOutputStream in;
    private final DataInputStream out;
    private final String version;

    private PipeWorker(Process process) {
        this.process = process;
        this.in = new DataOutputStream(new java.io.BufferedOutputStream(process.getOutputStream(), 1 << 16));
        this.out = new DataInputStream(new java.io.BufferedInputStream(process.getInputStream(), 1 << 16));
        JsonArray ready = read();
        if (!ready.get(0).getAsString().equals("ready")) {
            throw new IllegalStateException("the worker did not start: " + ready);
        }
        this.version = ready.get(1).getAsString();
    }

    /** Starts {@code python} on the worker script and waits until it says it is ready. */
    public static PipeWorker start(Path python) {
        try {
            ProcessBuilder builder = new ProcessBuilder(python.toString(), script().toString());
            builder.redirectError(ProcessBuilder.Redirect.INHERIT);
            builder.environment().keySet().removeIf(k -> k.startsWith("PYTHON"));
            return new PipeWorker(builder.start());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + python, e);
        }
    }

    /** The embedded CPython's own executable: the same build pyhost loads as a library. */
    public static Path embeddedPython() {
        return Pyhost.installation().home().resolve("bin/python3");
    }

    private static synchronized Path script() throws IOException {
        if (script == null) {
            Path file = Files.createTempFile("pyhost-pipe-worker", ".py");
            file.toFile().deleteOnExit();
            try (InputStream source = PipeWorker.class.getResourceAsStream("pipe_worker.py")) {
                Files.copy(source, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            script = file;
        }
        return script;
    }

    /** The worker's Python version. */
    public String version() {
        return version;
    }

    public JsonElement eval(String expression) {
        return request(List.of("eval", expression));
    }

    public void exec(String code) {
        request(List.of("exec", code));
    }

    public JsonElement call(String module, String function, List<?> args) {
        return request(List.of("call", module, function, args));
    }

    private JsonElement request(List<?> message) {
        byte[] data = GSON.toJson(message).getBytes(StandardCharsets.UTF_8);
        try {
            in.writeInt(data.length);
            in.write(data);
            in.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("the worker is gone", e);
        }
        JsonArray reply = read();
        if (!reply.get(0).getAsString().equals("ok")) {
            throw new IllegalStateException("the worker failed: " + reply.get(1).getAsString());
        }
        return reply.get(1);
    }

    private JsonArray read() {
        try {
            byte[] data = new byte[out.readInt()];
            out.readFully(data);
            return JsonParser.parseString(new String(data, StandardCharsets.UTF_8)).getAsJsonArray();
        } catch (IOException e) {
            throw new UncheckedIOException("no reply from the worker", e);
        }
    }

    @Override
    public void close() {
        try {
            in.close();
            if (!process.waitFor(2, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (IOException e) {
            process.destroyForcibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
