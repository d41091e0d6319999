package io.xts.test;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Gate for tests that need privileges (network namespaces, XDP, AF_XDP). When {@code CI=true} such a test must run:
 * a missing privilege fails it loudly. Elsewhere it is skipped with a message saying why and how to run it.
 */
public final class Privileged
{
    /** CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_ADMIN, CAP_BPF bits of CapEff. */
    private static final long NEEDED_CAPS = (1L << 12) | (1L << 13) | (1L << 21) | (1L << 39);

    private Privileged()
    {
    }

    /**
     * @return true when running under CI (CI=true).
     */
    public static boolean inCi()
    {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /**
     * Require root-like privileges and the tools the system tests use; fail in CI, skip elsewhere.
     *
     * @param what what the test does, for the message.
     */
    public static void require(final String what)
    {
        final String missing = missing();
        if (null == missing)
        {
            return;
        }
        final String message = what + " needs " + missing + "; run the tests as root: sudo scripts/test";
        if (inCi())
        {
            Assertions.fail("CI=true, so this privileged test must run, but: " + message);
        }
        Assumptions.abort("skipped: " + message);
    }

    private static String missing()
    {
        try
        {
            final String status = Files.readString(Path.of("/proc/self/status"));
            for (final String line : status.split("\n"))
            {
                if (line.startsWith("CapEff:"))
                {
                    final long caps = Long.parseUnsignedLong(line.substring(7).trim(), 16);
                    if ((caps & NEEDED_CAPS) != NEEDED_CAPS)
                    {
                        return "the capabilities CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_ADMIN and CAP_BPF (CapEff=" +
                            Long.toHexString(caps) + ")";
                    }
                }
            }
        }
        catch (final IOException ex)
        {
            return "a readable /proc/self/status (" + ex.getMessage() + ")";
        }
        if (!Files.isExecutable(Path.of("/usr/sbin/ip")) && !Files.isExecutable(Path.of("/sbin/ip")) &&
            !Files.isExecutable(Path.of("/usr/bin/ip")))
        {
            return "iproute2 (the ip command): run scripts/setup";
        }
        return null;
    }
}
