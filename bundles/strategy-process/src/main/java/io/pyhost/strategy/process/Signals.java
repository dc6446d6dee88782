package io.pyhost.strategy.process;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;

/** libc's {@code kill(2)}: Java's Process API sends only SIGTERM and SIGKILL, an interrupt needs SIGINT. */
final class Signals {
    static final int SIGINT = 2, SIGKILL = 9;

    private static final MethodHandle KILL = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("kill").orElseThrow(), FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));

    private Signals() {
    }

    /** Sends {@code signal} to {@code process} if it is still alive; whether it was sent. */
    static boolean send(Process process, int signal) {
        if (!process.isAlive()) {
            return false; // its pid may already belong to someone else
        }
        try {
            return (int) KILL.invokeExact((int) process.pid(), signal) == 0;
        } catch (Throwable t) {
            throw new IllegalStateException("kill(" + process.pid() + ", " + signal + ") failed", t);
        }
    }

    /**
     * Sends {@code signal} to the process group {@code pgid} (what a child that leads its own group
     * started). A group's id is not given to a new process while a member of the group lives, so this
     * reaches the group's members or, once they are all gone, nothing (ESRCH).
     */
    static void sendGroup(long pgid, int signal) {
        if (pgid <= 1) {
            return;
        }
        try {
            int ignored = (int) KILL.invokeExact((int) -pgid, signal);
        } catch (Throwable t) {
            throw new IllegalStateException("kill(-" + pgid + ", " + signal + ") failed", t);
        }
    }

    /** How a child ended, from Java's exit value (a signal {@code n} arrives as {@code 128 + n}). */
    static String describeExit(int exitValue) {
        if (exitValue > 128 && exitValue < 128 + 65) {
            int signal = exitValue - 128;
            return "was killed by signal " + signal + " (" + name(signal) + ")";
        }
        return "exited with status " + exitValue;
    }

    static String name(int signal) {
        return switch (signal) {
            case 1 -> "SIGHUP";
            case 2 -> "SIGINT";
            case 3 -> "SIGQUIT";
            case 4 -> "SIGILL";
            case 5 -> "SIGTRAP";
            case 6 -> "SIGABRT";
            case 7 -> "SIGBUS";
            case 8 -> "SIGFPE";
            case 9 -> "SIGKILL";
            case 11 -> "SIGSEGV";
            case 13 -> "SIGPIPE";
            case 14 -> "SIGALRM";
            case 15 -> "SIGTERM";
            case 24 -> "SIGXCPU";
            case 25 -> "SIGXFSZ";
            case 31 -> "SIGSYS";
            default -> "signal " + signal;
        };
    }
}
