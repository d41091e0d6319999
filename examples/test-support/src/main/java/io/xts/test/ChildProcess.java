package io.xts.test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * A process a system test started (an {@code xts} command in a namespace, curl, socat, a web server): its standard
 * output read on a thread into lines that can be awaited (unless redirected to a file), its standard error in a file
 * for failure messages. Closing kills it, by its own pid, if it still runs.
 */
public final class ChildProcess implements AutoCloseable
{
    /**
     * A line the child printed and when the test read it.
     *
     * @param atNs {@link System#nanoTime()} when it was read.
     * @param text the line.
     */
    public record Line(long atNs, String text)
    {
    }

    /** Children still running when the test JVM exits (a timeout, a kill) are killed then, not left behind. */
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static
    {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly)));
    }

    private final String name;
    private final Process process;
    private final Path stderr;
    private final List<Line> lines = new ArrayList<>();
    private final Thread reader;

    private ChildProcess(final String name, final Process process, final Path stderr, final boolean readStdout)
    {
        this.name = name;
        this.process = process;
        this.stderr = stderr;
        LIVE.add(process);
        process.onExit().thenRun(() -> LIVE.remove(process));
        reader = readStdout ? Thread.ofPlatform().daemon().name("stdout-" + name).start(this::readOutput) : null;
    }

    /**
     * Start a child whose standard output is collected as lines.
     *
     * @param name    for messages and log file names.
     * @param logs    directory for the standard error file.
     * @param command the command.
     * @return the child.
     * @throws IOException when it cannot start.
     */
    public static ChildProcess start(final String name, final Path logs, final List<String> command) throws IOException
    {
        Files.createDirectories(logs);
        final Path err = logs.resolve(name + ".err");
        final Process process = new ProcessBuilder(command).redirectError(err.toFile()).start();
        return new ChildProcess(name, process, err, true);
    }

    /**
     * Start a child with standard input and output redirected to files (for byte streams).
     *
     * @param name    for messages and log file names.
     * @param logs    directory for the standard error file.
     * @param command the command.
     * @param stdin   file to read standard input from, or null for none.
     * @param stdout  file to write standard output to.
     * @return the child.
     * @throws IOException when it cannot start.
     */
    public static ChildProcess startRedirected(
        final String name, final Path logs, final List<String> command, final Path stdin, final Path stdout)
        throws IOException
    {
        Files.createDirectories(logs);
        final Path err = logs.resolve(name + ".err");
        final ProcessBuilder builder = new ProcessBuilder(command).redirectError(err.toFile())
            .redirectOutput(stdout.toFile());
        if (null != stdin)
        {
            builder.redirectInput(stdin.toFile());
        }
        return new ChildProcess(name, builder.start(), err, false);
    }

    private void readOutput()
    {
        try (BufferedReader in = new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)))
        {
            String text;
            while (null != (text = in.readLine()))
            {
                final Line line = new Line(System.nanoTime(), text);
                System.out.println("[" + name + "] " + text);
                synchronized (lines)
                {
                    lines.add(line);
                    lines.notifyAll();
                }
            }
        }
        catch (final IOException ex)
        {
            System.out.println("[" + name + "] stdout closed: " + ex);
        }
    }

    /**
     * @return the process.
     */
    public Process process()
    {
        return process;
    }

    /**
     * @return the pid.
     */
    public long pid()
    {
        return process.pid();
    }

    /**
     * Wait for a line matching {@code match}; fail the test with the child's output when none comes in time.
     *
     * @param match   what to wait for.
     * @param timeout how long.
     * @return the line.
     * @throws InterruptedException when interrupted.
     */
    public Line awaitLine(final Predicate<String> match, final Duration timeout) throws InterruptedException
    {
        final long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lines)
        {
            while (true)
            {
                for (final Line line : lines)
                {
                    if (match.test(line.text()))
                    {
                        return line;
                    }
                }
                final long left = deadline - System.nanoTime();
                if (left <= 0 || (!process.isAlive() && (null == reader || !reader.isAlive())))
                {
                    break;
                }
                TimeUnit.NANOSECONDS.timedWait(lines, Math.min(left, 100_000_000L));
            }
        }
        fail(describe("awaited line not printed within " + timeout.toMillis() + " ms"));
        return null;
    }

    /**
     * @param match what to look for.
     * @return whether any line so far matches.
     */
    public boolean anyLine(final Predicate<String> match)
    {
        synchronized (lines)
        {
            return lines.stream().anyMatch(line -> match.test(line.text()));
        }
    }

    /**
     * @return the lines printed so far.
     */
    public List<String> lines()
    {
        synchronized (lines)
        {
            return lines.stream().map(Line::text).toList();
        }
    }

    /**
     * Wait for the child to exit; fail the test when it does not in time.
     *
     * @param timeout how long.
     * @return its exit status.
     * @throws InterruptedException when interrupted.
     */
    public int awaitExit(final Duration timeout) throws InterruptedException
    {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS))
        {
            fail(describe("still running after " + timeout.toMillis() + " ms"));
        }
        if (null != reader)
        {
            reader.join(5_000);
        }
        return process.exitValue();
    }

    /**
     * SIGKILL the child and wait for it.
     *
     * @return its exit status.
     * @throws InterruptedException when interrupted.
     */
    public int kill() throws InterruptedException
    {
        process.destroyForcibly();
        if (!process.waitFor(10, TimeUnit.SECONDS))
        {
            fail(describe("did not die of SIGKILL within 10 s"));
        }
        if (null != reader)
        {
            reader.join(5_000);
        }
        return process.exitValue();
    }

    /**
     * SIGTERM the child and wait for it.
     *
     * @param timeout how long to wait.
     * @return its exit status.
     * @throws InterruptedException when interrupted.
     */
    public int terminate(final Duration timeout) throws InterruptedException
    {
        process.destroy();
        return awaitExit(timeout);
    }

    /**
     * @param what what went wrong.
     * @return a message with the child's state, output and the tail of its standard error.
     */
    public String describe(final String what)
    {
        final StringBuilder text = new StringBuilder(name).append(": ").append(what)
            .append(process.isAlive() ? " (running)" : " (exit " + process.exitValue() + ")").append("\nstdout:");
        synchronized (lines)
        {
            lines.forEach(line -> text.append("\n  ").append(line.text()));
        }
        text.append("\nstderr (").append(stderr).append("):");
        try
        {
            final List<String> errors = Files.readAllLines(stderr, StandardCharsets.UTF_8);
            errors.subList(Math.max(0, errors.size() - 40), errors.size())
                .forEach(line -> text.append("\n  ").append(line));
        }
        catch (final IOException ex)
        {
            text.append(" unreadable: ").append(ex);
        }
        return text.toString();
    }

    /**
     * @return the standard error file's content.
     * @throws IOException when unreadable.
     */
    public String stderr() throws IOException
    {
        return Files.readString(stderr, StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws InterruptedException
    {
        if (process.isAlive())
        {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        if (null != reader)
        {
            reader.join(5_000);
        }
    }
}
