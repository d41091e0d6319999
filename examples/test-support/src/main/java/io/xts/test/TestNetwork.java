package io.xts.test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A test network made by {@code scripts/testnet}: namespaces with unique names joined by veth pairs, removed on
 * {@link #close()} and, should the JVM die first, by a shutdown hook. One script defines the topology for the
 * tests, the demo and the benchmarks.
 */
public final class TestNetwork implements AutoCloseable
{
    private final String id;
    private final Map<String, String> env = new HashMap<>();
    private final Thread cleanup;
    private boolean closed;

    private TestNetwork(final String id, final String... options)
    {
        this.id = id;
        cleanup = new Thread(() -> run(false, "down", id), "testnet-down-" + id);
        Runtime.getRuntime().addShutdownHook(cleanup);
        final List<String> args = new ArrayList<>(List.of("up", id));
        args.addAll(List.of(options));
        run(true, args.toArray(String[]::new));
        for (final String line : run(true, "env", id).split("\n"))
        {
            final int eq = line.indexOf('=');
            if (eq > 0)
            {
                env.put(line.substring(0, eq), line.substring(eq + 1).trim());
            }
        }
    }

    /**
     * Create an app-host and a proxy namespace joined by a veth pair.
     *
     * @param options extra options of {@code scripts/testnet up}, e.g. "--mtu", "3500", "--peer".
     * @return the network.
     */
    public static TestNetwork create(final String... options)
    {
        final String id = Long.toString(ThreadLocalRandom.current().nextLong(36L * 36 * 36 * 36 * 36,
            36L * 36 * 36 * 36 * 36 * 36), 36);
        return new TestNetwork(id, options);
    }

    /**
     * @return the repository root (XTS_REPO_ROOT, set by the build, or found upwards from the working directory).
     */
    public static Path repoRoot()
    {
        final String fromEnv = System.getenv("XTS_REPO_ROOT");
        if (null != fromEnv && Files.isRegularFile(Path.of(fromEnv, "scripts", "testnet")))
        {
            return Path.of(fromEnv);
        }
        Path dir = Path.of("").toAbsolutePath();
        while (null != dir)
        {
            if (Files.isRegularFile(dir.resolve("scripts/testnet")))
            {
                return dir;
            }
            dir = dir.getParent();
        }
        throw new IllegalStateException("cannot find scripts/testnet above " + Path.of("").toAbsolutePath());
    }

    /**
     * @param name a variable of {@code scripts/testnet env}, e.g. NS_APP, IF_PRX, IP_PEER.
     * @return its value.
     */
    public String get(final String name)
    {
        final String value = env.get(name);
        if (null == value)
        {
            throw new IllegalArgumentException("testnet defines no " + name + ": " + env.keySet());
        }
        return value;
    }

    /**
     * @return the unique id of this network.
     */
    public String id()
    {
        return id;
    }

    /**
     * The command line that runs an {@code xts} tool (the launcher {@code io.xts.tools.Xts}) inside one of this
     * network's namespaces, with this JVM's JDK and class path and the flags the bindings need.
     *
     * @param namespace  a namespace variable of {@code scripts/testnet env}, e.g. NS_APP.
     * @param jvmOptions extra options for the tool's JVM (e.g. a heap size), before the class path.
     * @param args       the tool and its arguments, e.g. {@code proxy --iface ...}.
     * @return the command, for {@link ChildProcess#start}.
     */
    public List<String> xtsCommand(final String namespace, final List<String> jvmOptions, final String... args)
    {
        final List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", get(namespace),
            Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--enable-native-access=ALL-UNNAMED",
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.xts.tools.Xts"));
        command.addAll(List.of(args));
        return command;
    }

    /**
     * As {@link #xtsCommand(String, List, String...)} with no extra JVM options.
     *
     * @param namespace a namespace variable of {@code scripts/testnet env}, e.g. NS_APP.
     * @param args      the tool and its arguments.
     * @return the command.
     */
    public List<String> xtsCommand(final String namespace, final String... args)
    {
        return xtsCommand(namespace, List.of(), args);
    }

    /**
     * Run a command inside a namespace.
     *
     * @param namespace the namespace.
     * @param command   the command and its arguments.
     * @return its standard output.
     * @throws IllegalStateException when it fails, with its output.
     */
    public String exec(final String namespace, final String... command)
    {
        final List<String> args = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
        args.addAll(List.of(command));
        return runProcess(true, args);
    }

    private static String run(final boolean check, final String... args)
    {
        final List<String> command = new ArrayList<>();
        command.add(repoRoot().resolve("scripts/testnet").toString());
        command.addAll(List.of(args));
        return runProcess(check, command);
    }

    private static String runProcess(final boolean check, final List<String> command)
    {
        try
        {
            final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            final byte[] out = process.getInputStream().readAllBytes();
            if (!process.waitFor(60, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish in 60 s");
            }
            final String text = new String(out, StandardCharsets.UTF_8);
            if (check && 0 != process.exitValue())
            {
                throw new IllegalStateException(String.join(" ", command) + " failed (exit " +
                    process.exitValue() + "): " + text);
            }
            return text;
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot run " + String.join(" ", command), ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + String.join(" ", command), ex);
        }
    }

    /**
     * Remove the namespaces and links.
     */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        run(true, "down", id);
        try
        {
            Runtime.getRuntime().removeShutdownHook(cleanup);
        }
        catch (final IllegalStateException ignore)
        {
            // already shutting down: the hook runs anyway
        }
    }
}
