package io.pyhost.itests.karaf;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** What the probe evaluates and where it reports; the test writes it to Karaf's etc/ before boot. */
@ObjectClassDefinition(name = "pyhost Karaf probe", description = "Evaluates an expression in every present mode and reports to a file")
@interface ProbeConfiguration {
    /** The pid the test writes ({@code etc/io.pyhost.itests.karaf.probe.cfg}). */
    String PID = "io.pyhost.itests.karaf.probe";

    @AttributeDefinition(description = "Absolute path of the report (a properties file, replaced atomically)")
    String resultFile();

    @AttributeDefinition(description = "Python expression evaluated in a new context of every mode")
    String expression() default "[__import__('sys').version.split()[0], __import__('_interpreters').get_current()[0]]";

    @AttributeDefinition(description = "Karaf shell line run through Karaf's SessionFactory (a py: command); empty: none")
    String shellLine() default "";

    @AttributeDefinition(description = "A Karaf shell line without pyhost, run the same way as a control; empty: none")
    String shellControlLine() default "";

    @AttributeDefinition(description = "How often the probe looks for changes, in milliseconds")
    long pollMillis() default 100;
}
