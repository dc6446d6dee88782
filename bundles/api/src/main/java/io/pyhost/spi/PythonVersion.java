package io.pyhost.spi;

/** A CPython version, as the running interpreter reports it ({@code sys.version_info}). */
public record PythonVersion(int major, int minor, int micro) implements Comparable<PythonVersion> {

    /** Parses {@code 3.14.3} (or {@code 3.14}). */
    public static PythonVersion parse(String text) {
        String[] parts = text.trim().split("\\.");
        if (parts.length < 2 || parts.length > 3) {
            throw new IllegalArgumentException("not a Python version: '" + text + "'");
        }
        try {
            return new PythonVersion(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]),
                    parts.length == 3 ? Integer.parseInt(parts[2]) : 0);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a Python version: '" + text + "'", e);
        }
    }

    /** Whether this is {@code major.minor} or later. */
    public boolean atLeast(int major, int minor) {
        return this.major > major || (this.major == major && this.minor >= minor);
    }

    @Override
    public int compareTo(PythonVersion o) {
        int c = Integer.compare(major, o.major);
        if (c == 0) c = Integer.compare(minor, o.minor);
        return c != 0 ? c : Integer.compare(micro, o.micro);
    }

    @Override
    public String toString() {
        return major + "." + minor + "." + micro;
    }
}
