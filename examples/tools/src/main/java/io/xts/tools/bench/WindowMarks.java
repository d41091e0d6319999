package io.xts.tools.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The edges of a benchmark's measured window, for the script that runs it ({@code --mark-window}): at the start the
 * line {@code xts-window start}, at the end {@code xts-window end voluntary_cs=N nonvoluntary_cs=N} on stderr, with
 * this process's context switches over the window summed over its threads (from
 * {@code /proc/self/task/TID/status}: {@code /proc/self/status} has the main thread's only, and a JVM's main thread
 * only waits). The script samples what lies outside the process there (NAPI threads, the XDP program's run time).
 * A thread born in the window counts from zero; one that ended in it is lost.
 */
public final class WindowMarks
{
    private final boolean enabled;
    private final PrintStream out;
    private Map<String, long[]> start = Map.of();

    /**
     * @param enabled whether to print (--mark-window).
     * @param out     where (stderr).
     */
    public WindowMarks(final boolean enabled, final PrintStream out)
    {
        this.enabled = enabled;
        this.out = out;
    }

    /** The window starts: remember the threads' context switches, print the start line. */
    public void start()
    {
        if (enabled)
        {
            start = switches();
            out.println("xts-window start");
            out.flush();
        }
    }

    /** The window ends: print the end line with the context switches since {@link #start()}. */
    public void end()
    {
        if (enabled)
        {
            final Map<String, long[]> now = switches();
            long voluntary = 0;
            long nonvoluntary = 0;
            for (final Map.Entry<String, long[]> e : now.entrySet())
            {
                final long[] before = start.getOrDefault(e.getKey(), new long[2]);
                voluntary += e.getValue()[0] - before[0];
                nonvoluntary += e.getValue()[1] - before[1];
            }
            out.println("xts-window end voluntary_cs=" + voluntary + " nonvoluntary_cs=" + nonvoluntary);
            out.flush();
        }
    }

    /** @return per thread id, {voluntary, nonvoluntary} context switches so far; empty without /proc. */
    static Map<String, long[]> switches()
    {
        final Map<String, long[]> m = new HashMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task")))
        {
            for (final Path task : tasks)
            {
                final long[] cs = new long[2];
                try
                {
                    for (final String line : Files.readAllLines(task.resolve("status")))
                    {
                        if (line.startsWith("voluntary_ctxt_switches:"))
                        {
                            cs[0] = Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
                        }
                        else if (line.startsWith("nonvoluntary_ctxt_switches:"))
                        {
                            cs[1] = Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
                        }
                    }
                    m.put(task.getFileName().toString(), cs);
                }
                catch (final IOException | RuntimeException e)
                {
                    // The thread ended meanwhile.
                }
            }
        }
        catch (final IOException e)
        {
            return Map.of();
        }
        return m;
    }
}
