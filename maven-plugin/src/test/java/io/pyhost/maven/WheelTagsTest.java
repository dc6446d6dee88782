package io.pyhost.maven;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.List;
import java.util.Optional;

import org.junit.Test;

/**
 * Wheel names and the tag check against a fixed excerpt of what the embedded CPython 3.14's pip
 * lists ({@code packaging.tags.sys_tags()} on glibc 2.36); {@link EmbeddedPythonTest} asks the
 * real interpreter.
 */
public class WheelTagsTest {

    /** In the order sys_tags() yields them: cp314 ABI, abi3 down the versions, none, then py* with none-any. */
    static final SupportedTags CP314 = new SupportedTags(List.of(
            "cp314-cp314-manylinux_2_36_x86_64", "cp314-cp314-manylinux_2_17_x86_64", "cp314-cp314-manylinux2014_x86_64",
            "cp314-cp314-linux_x86_64",
            "cp314-abi3-manylinux_2_17_x86_64", "cp314-abi3-linux_x86_64",
            "cp314-none-manylinux_2_17_x86_64", "cp314-none-linux_x86_64",
            "cp313-abi3-manylinux_2_17_x86_64", "cp313-abi3-linux_x86_64",
            "cp312-abi3-linux_x86_64",
            "py314-none-linux_x86_64", "py3-none-linux_x86_64",
            "cp314-none-any", "py314-none-any", "py3-none-any", "py313-none-any"));

    private static final String PYTHON = "the embedded CPython 3.14.3";

    @Test
    public void aWheelNameHasFiveOrSixParts() {
        WheelFile plain = WheelFile.parse("Py_Host_Demo-1.0-py3-none-any.whl");
        assertEquals("Py_Host_Demo", plain.distribution());
        assertEquals("1.0", plain.version());
        assertEquals("py-host-demo", plain.normalizedName());
        assertEquals(List.of("py3-none-any"), plain.tags());

        WheelFile built = WheelFile.parse("demo-2.0-1build-cp314-cp314-manylinux_2_17_x86_64.manylinux2014_x86_64.whl");
        assertEquals("2.0", built.version());
        assertEquals(List.of("cp314-cp314-manylinux_2_17_x86_64", "cp314-cp314-manylinux2014_x86_64"), built.tags());

        assertEquals(List.of("py2-none-any", "py3-none-any"), WheelFile.parse("six-1.16.0-py2.py3-none-any.whl").tags());
    }

    @Test
    public void notAWheelNameIsRefused() {
        assertEquals("demo-1.0.zip is not a wheel: the name does not end in .whl",
                assertThrows(IllegalArgumentException.class, () -> WheelFile.parse("demo-1.0.zip")).getMessage());
        assertEquals("demo-1.0-py3.whl is not a wheel name: expected name-version[-build]-python-abi-platform.whl",
                assertThrows(IllegalArgumentException.class, () -> WheelFile.parse("demo-1.0-py3.whl")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> WheelFile.parse("demo--1.0-py3-none-any.whl"));
    }

    @Test
    public void fittingWheelsPass() {
        for (String name : new String[] {"a-1-py3-none-any.whl", "a-1-py2.py3-none-any.whl", "a-1-cp314-cp314-manylinux_2_17_x86_64.whl",
                "a-1-cp312-abi3-linux_x86_64.whl", "a-1-cp314-cp314-manylinux_2_36_x86_64.manylinux_2_99_x86_64.whl"}) {
            assertEquals(name, Optional.empty(), WheelFile.parse(name).misfit(CP314, PYTHON));
        }
    }

    @Test
    public void aWrongPythonTagIsNamedWithTheAcceptedOnes() {
        String why = WheelFile.parse("demo-1.0-cp27-cp27mu-linux_x86_64.whl").misfit(CP314, PYTHON).orElseThrow();
        assertTrue(why, why.startsWith("wheel demo-1.0-cp27-cp27mu-linux_x86_64.whl does not fit the embedded CPython 3.14.3: "
                + "Python tag cp27 is not accepted (accepted: cp314, cp313, cp312, py314, py3, py313)"));
        assertTrue(why, why.contains("ABI tag cp27mu is not accepted (accepted: cp314, abi3, none)"));
        assertFalse("the platform is fine: " + why, why.contains("platform tag"));
    }

    @Test
    public void aWrongAbiTagIsNamed() {
        // cp313 is an accepted Python tag (with abi3), but a cp313 ABI is not
        String why = WheelFile.parse("demo-1.0-cp313-cp313-manylinux_2_17_x86_64.whl").misfit(CP314, PYTHON).orElseThrow();
        assertEquals("wheel demo-1.0-cp313-cp313-manylinux_2_17_x86_64.whl does not fit the embedded CPython 3.14.3: "
                + "ABI tag cp313 is not accepted (accepted: cp314, abi3, none)", why);
    }

    @Test
    public void aWrongPlatformTagIsNamed() {
        String why = WheelFile.parse("demo-1.0-py3-none-win_amd64.whl").misfit(CP314, PYTHON).orElseThrow();
        assertEquals("wheel demo-1.0-py3-none-win_amd64.whl does not fit the embedded CPython 3.14.3: platform tag win_amd64 is not accepted"
                + " (accepted: manylinux_2_36_x86_64, manylinux_2_17_x86_64, manylinux2014_x86_64, linux_x86_64, any)", why);
        why = WheelFile.parse("demo-1.0-cp314-cp314-macosx_11_0_arm64.macosx_11_0_x86_64.whl").misfit(CP314, PYTHON).orElseThrow();
        assertTrue(why, why.contains("platform tag macosx_11_0_arm64.macosx_11_0_x86_64 is not accepted"));
    }

    @Test
    public void knownPartsInAnUnknownCombinationAreNamedAsACombination() {
        // each part is accepted somewhere, the triple is not (abi3 is only paired with platforms)
        String why = WheelFile.parse("demo-1.0-py3-abi3-any.whl").misfit(CP314, PYTHON).orElseThrow();
        assertTrue(why, why.startsWith("wheel demo-1.0-py3-abi3-any.whl does not fit the embedded CPython 3.14.3: "
                + "no combination of its tags py3-abi3-any is accepted (accepted combinations begin with cp314-cp314-manylinux_2_36_x86_64,"));
    }

    @Test
    public void withARequirementsFileOneFittingBuildOfAReleaseIsEnough() {
        List<WheelFile> builds = List.of(WheelFile.parse("demo-1.0-cp314-cp314-linux_x86_64.whl"), WheelFile.parse("demo-1.0-py3-none-win_amd64.whl"),
                WheelFile.parse("other-2.0-py3-none-win_amd64.whl"));
        List<String> picked = PythonBundleMojo.misfits(builds, CP314, PYTHON, true);
        assertEquals(1, picked.size());
        assertTrue(picked.get(0), picked.get(0).startsWith("wheel other-2.0-py3-none-win_amd64.whl does not fit"));
        List<String> all = PythonBundleMojo.misfits(builds, CP314, PYTHON, false);
        assertEquals("without one, every wheel is installed, so every wheel must fit: " + all, 2, all.size());
    }

    @Test
    public void aRequirementsFileNamesWheelsByDistributionOrPath() {
        List<WheelFile> available = List.of(WheelFile.parse("Demo_Pkg-1.0-py3-none-any.whl"), WheelFile.parse("demo_pkg-1.1-py3-none-win_amd64.whl"),
                WheelFile.parse("unrelated-1.0-py3-none-any.whl"));
        List<WheelFile> named = PythonBundleMojo.wheelsNamedBy(available, List.of(
                "# a comment", "--find-links somewhere", "", "demo.pkg>=1.0 ; python_version >= '3.12'  # why", "./wheels/extra-3.0-py3-none-any.whl"));
        assertEquals(List.of("extra-3.0-py3-none-any.whl", "Demo_Pkg-1.0-py3-none-any.whl", "demo_pkg-1.1-py3-none-win_amd64.whl"),
                named.stream().map(WheelFile::fileName).toList());
    }
}
