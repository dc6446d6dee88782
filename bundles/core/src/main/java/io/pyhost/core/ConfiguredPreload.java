package io.pyhost.core;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The application preload from configuration (PID {@code io.pyhost.preload}), for runtimes
 * without application code of their own: {@code code}, or {@code file} (read again on every
 * change; it wins when both are set) becomes {@link io.pyhost.api.PreloadService#setCode}.
 * Deleting the configuration clears the code. A file that cannot be read is logged and leaves
 * the code as it was.
 */
@Component(configurationPid = "io.pyhost.preload", configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = ConfiguredPreload.Config.class)
public final class ConfiguredPreload {
    private static final Logger LOG = System.getLogger(ConfiguredPreload.class.getName());

    @ObjectClassDefinition(id = "io.pyhost.preload", name = "pyhost preload", description = "The application's preload code")
    public @interface Config {
        @AttributeDefinition(required = false, description = "Python code run once per interpreter; its globals reach every new context")
        String code() default "";

        @AttributeDefinition(required = false, description = "A file holding that code (wins over code)")
        String file() default "";
    }

    private final PreloadRegistry registry;

    @Activate
    public ConfiguredPreload(@Reference PreloadRegistry registry, Config config) {
        this.registry = registry;
        modified(config);
    }

    @Modified
    void modified(Config config) {
        String code = config.code();
        if (!config.file().isBlank()) {
            Path file = Path.of(config.file().trim());
            try {
                code = Files.readString(file, StandardCharsets.UTF_8);
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.WARNING, "pyhost: io.pyhost.preload file " + file + " cannot be read (" + e + "); preload unchanged");
                return;
            }
        }
        try {
            if (code.isBlank()) {
                registry.clearCode();
            } else {
                registry.setCode(code);
            }
        } catch (IllegalArgumentException e) {
            LOG.log(Level.WARNING, "pyhost: io.pyhost.preload refused: " + e.getMessage());
        }
    }

    @Deactivate
    void deactivate() {
        registry.clearCode();
    }
}
