package io.pyhost.maven;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import org.junit.Test;

public class DistributionMetadataTest {

    @Test
    public void nameAndVersionComeFromTheHeadersNotTheBody() {
        String metadata = """
                Metadata-Version: 2.4
                Name: Py_Host.Demo
                Version: 1.2rc1
                Summary: a summary
                 folded onto a second line
                Requires-Dist: other>=1.0

                Name: not-this
                Version: 9.9
                """;
        DistributionMetadata d = DistributionMetadata.parse(metadata, "x.dist-info/METADATA");
        assertEquals("Py_Host.Demo", d.name());
        assertEquals("1.2rc1", d.version());
        assertEquals("py-host-demo", d.normalizedName());
        assertEquals("1.2.0.rc1", d.osgiVersion());
    }

    @Test
    public void keysAreCaseInsensitiveAndCrLfIsRead() {
        DistributionMetadata d = DistributionMetadata.parse("metadata-version: 2.1\r\nNAME: numpy\r\nversion: 2.4.2\r\n\r\nbody", "m");
        assertEquals(new DistributionMetadata("numpy", "2.4.2"), d);
    }

    @Test
    public void aMissingHeaderIsRefusedNamingTheFile() {
        assertEquals("a.dist-info/METADATA has no Version header", assertThrows(IllegalArgumentException.class,
                () -> DistributionMetadata.parse("Name: a\n", "a.dist-info/METADATA")).getMessage());
        assertEquals("b has no Name header", assertThrows(IllegalArgumentException.class,
                () -> DistributionMetadata.parse("Version: 1.0\n\nName: late\n", "b")).getMessage());
    }

    @Test
    public void namesNormalizeAsPep503() {
        assertEquals("friendly-bard", DistributionMetadata.normalizeName("Friendly-Bard"));
        assertEquals("friendly-bard", DistributionMetadata.normalizeName("FRIENDLY-BARD"));
        assertEquals("friendly-bard", DistributionMetadata.normalizeName("friendly.bard"));
        assertEquals("friendly-bard", DistributionMetadata.normalizeName("friendly_bard"));
        assertEquals("friendly-bard", DistributionMetadata.normalizeName("friendly--bard"));
        assertEquals("friendly-bard", DistributionMetadata.normalizeName("FrIeNdLy-._.-bArD"));
    }
}
