package io.xts.proxy;

import io.xts.link.LinkCounters;
import io.xts.link.LinkKey;
import io.xts.link.XskLinkEndpoint;
import io.xts.proxy.config.ProxyConfig;
import io.xts.status.CountersFile;
import io.xts.xsk.AttachMode;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.NetworkInterface;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code xts proxy}: the offload proxy as a process. It opens the XTS link on an AF_XDP socket of one interface queue
 * ({@link XskLinkEndpoint}), serves the app host's socket operations with kernel TCP sockets on one agent thread
 * ({@link ProxyAgent} under an Agrona {@link AgentRunner}) or two ({@code --threads 2}: a {@link LinkAgent} and a
 * {@link TcpAgent}, each under its own runner, handing messages over through the {@link ProxyRings}), keeps its
 * counters in a memory-mapped file for {@code xts stat}, and reports what an operator or a system test waits for as
 * {@code proxy-event} lines on stdout.
 * SIGTERM stops it in order: FIN on every TCP connection, RESET ECONNABORTED to the app host for each socket, the link
 * closed so the app host sees it, the AF_XDP socket and UMEM released and the XDP program detached; then it exits 0.
 */
@Command(name = "proxy", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Run the XTS offload proxy on one interface queue: the app host's sockets,",
        "terminated with kernel TCP sockets on this host.",
        "Prints 'proxy-event ready iface=.. queue=.. pid=..' once it listens on the link,",
        "then 'proxy-event link-up ...' and 'proxy-event link-down ... reason=...' as app",
        "hosts come and go. SIGTERM closes every TCP connection with FIN, tells the app",
        "host (RESET ECONNABORTED per socket, then the link is closed), releases AF_XDP,",
        "detaches the XDP program and exits 0.", ""},
    footer = {"", "Threads:",
        "  --threads 1 (default): one agent thread drives the link, the sockets and",
        "    the TCP syscalls. No copy in user space (TCP reads and writes go straight",
        "    to and from the link's frames) and no hand-off. Pick it on small machines",
        "    (2 cores or fewer, or cores shared with the app) and whenever the proxy",
        "    is not the bottleneck.",
        "  --threads 2: a link thread (the link, its frames and kicks) and a TCP",
        "    thread (selector, sockets, syscalls), joined by two 8 MiB rings. One",
        "    copy each way through the rings, a second busy core. Pays with spare",
        "    cores and heavy traffic, when the link's own TX work (in AF_XDP copy",
        "    mode the kernel copies every frame at the kick) and the TCP syscalls",
        "    each fill a core."})
public final class ProxyCommand implements Callable<Integer>
{
    /** Where XTS processes put their counters files (the directory {@code xts stat} reads). */
    public static final String COUNTERS_DIR = "/dev/shm/xts";
    /** Room in the counters file: the proxy's counters and the link's, with space to spare. */
    private static final int MAX_COUNTERS = 256;

    @Option(names = "--iface", required = true, paramLabel = "IF",
        description = "Interface facing the app host; the XTS link runs on one of its queues (needs CAP_NET_ADMIN, " +
            "CAP_NET_RAW and CAP_BPF, or root).")
    String iface;

    @Option(names = "--queue", defaultValue = "0", paramLabel = "N",
        description = "Queue id of --iface the link's AF_XDP socket binds to (default ${DEFAULT-VALUE}).")
    int queue;

    @Option(names = "--link-key-file", paramLabel = "FILE",
        description = {"file with the link's pre-shared key in hex (e.g. 'openssl rand -hex 32'); the apps must have " +
            "the same: HELLO and RESET are then authenticated (HMAC-SHA-256), and a peer without the key is refused"})
    Path linkKeyFile;

    @Option(names = "--config", paramLabel = "FILE",
        description = {"JSON policy file: allow-lists and per-link limits, e.g.",
            "{\"allow\": {\"connect\": [{\"cidr\": \"198.18.1.0/24\", \"ports\": \"1-65535\"}],",
            " \"listen\": {\"ports\": \"1024-65535\", \"addresses\": [\"0.0.0.0/0\", \"::/0\"]}},",
            " \"limits\": {\"socketsPerLink\": 1024, \"listenersPerLink\": 64, \"bytesInFlightPerLink\": 268435456,",
            " \"sendWindow\": 262144, \"connectTimeoutMs\": 10000}}",
            "Omitted fields take the defaults. Without a file the proxy allows connecting to any port in " +
                "198.18.0.0/15 and fd00::/8, and listening on ports 1024-65535 on any local address, with the limits " +
                "shown above. Refusals: not allowed -> EACCES; sockets or listeners per link -> EMFILE; bytes in " +
                "flight (sum of send windows) -> ENOBUFS."})
    Path configFile;

    @Option(names = "--threads", defaultValue = "1", paramLabel = "1|2",
        description = "Agent threads: 1 (link and TCP on one thread) or 2 (a link thread and a TCP thread with a " +
            "ring-buffer hand-off). Default ${DEFAULT-VALUE}; see Threads below.")
    int threads;

    @Option(names = "--idle", paramLabel = "busy|yield|backoff|sleep",
        description = {"What each agent thread does when there is no work: busy (spin, lowest latency, one core at " +
            "100%%), yield (spin with a sched_yield per idle cycle: a core at 100%%, but any other thread on that " +
            "core runs at once; for a core shared with the TCP peers), backoff (spin, yield, then park up to 1 ms), " +
            "sleep (sleep 1 ms; least CPU, most latency). Default backoff; yield with --latency."})
    String idle;

    @Option(names = "--latency",
        description = {"Latency mode: agent threads spin (--idle yield unless --idle busy is given), " +
            "the link acknowledges in the duty cycle that accepted a frame, the AF_XDP socket asks for " +
            "busy polling (SO_BUSY_POLL, SO_BUSY_POLL_BUDGET; refusals are reported and the " +
            "proxy carries on), and every TCP socket gets TCP_NODELAY. Costs a core per agent thread even when " +
            "idle. Default off."})
    boolean latency;

    /** Latency mode: microseconds a wakeup syscall on the AF_XDP socket busy-polls the device. */
    private static final int LATENCY_BUSY_POLL_US = 20;
    /** Latency mode: packets one busy poll handles at most. */
    private static final int LATENCY_BUSY_POLL_BUDGET = 64;

    @Option(names = "--attach", defaultValue = "native", paramLabel = "native|skb",
        description = "How the XDP steering program is attached: native (driver mode) or skb (generic mode, any " +
            "driver, slower). Default ${DEFAULT-VALUE}.")
    String attach;

    @Option(names = "--counters", paramLabel = "PATH|none",
        description = "Memory-mapped counters file read by 'xts stat' (default " + COUNTERS_DIR +
            "/proxy-<iface>-<pid>.counters, removed at exit); 'none' keeps the counters in memory only.")
    String countersPath;

    /** How often the main thread checks that the interface still exists. */
    private static final long INTERFACE_CHECK_MS = 1_000;
    /** The status the stop hook exits with: 0 for SIGTERM, 1 when the interface vanished. */
    private static volatile int exitStatus;

    @Override
    public Integer call() throws Exception
    {
        if (1 != threads && 2 != threads)
        {
            throw new IllegalArgumentException("--threads must be 1 or 2, got " + threads);
        }
        if (latency && null != idle && !"busy".equals(idle) && !"yield".equals(idle))
        {
            throw new IllegalArgumentException("--latency spins: it goes with --idle busy or yield, not " + idle);
        }
        // Latency mode yields by default: in a spin that gives way, a TCP peer or kernel thread on the same core
        // runs at once instead of after the spinner's time slice (measured: docs/PERFORMANCE.md, "Latency").
        final String idleName = null != idle ? idle : latency ? "yield" : "backoff";
        idleStrategy(idleName); // a bad --idle is refused before anything is attached
        final AttachMode mode = AttachMode.parse(attach);
        final ProxyConfig config = null == configFile ? ProxyConfig.defaults() : ProxyConfig.load(configFile);
        final CountersFile countersFile = openCounters();
        final CountersManager countersManager = null != countersFile ? countersFile.manager() : new CountersManager(
            new UnsafeBuffer(ByteBuffer.allocateDirect(MAX_COUNTERS * 512)),
            new UnsafeBuffer(ByteBuffer.allocateDirect(MAX_COUNTERS * 128)));
        final String name = iface + " q" + queue;
        final LinkKey linkKey = null == linkKeyFile ? null : LinkKey.fromFile(linkKeyFile);
        final XskLinkEndpoint endpoint;
        try
        {
            final XskLinkEndpoint.Config defaults = XskLinkEndpoint.Config.defaults(iface);
            endpoint = XskLinkEndpoint.open(new XskLinkEndpoint.Config(iface, queue, mode, defaults.frames(),
                defaults.ring(), 0));
        }
        catch (final RuntimeException ex)
        {
            closeQuietly(countersFile);
            throw ex;
        }
        final AgentRunner[] runners;
        try
        {
            runners = runners(endpoint, config, countersManager, name, idleName, linkKey);
        }
        catch (final RuntimeException ex)
        {
            // Nothing runs yet and no stop hook is registered: release what was taken (the XDP program stays
            // attached to the interface otherwise, and the counters file in the directory 'xts stat' reads).
            event("start-failed error=" + ex);
            try
            {
                endpoint.close();
            }
            catch (final RuntimeException closeFailure)
            {
                ex.addSuppressed(closeFailure);
            }
            closeQuietly(countersFile);
            throw ex;
        }
        // SIGTERM (or Ctrl-C): stop the agents (their onClose say goodbye on the link and close every socket), then
        // release AF_XDP and the counters. halt(0) because a JVM stopped by a signal otherwise exits 143, and the
        // stop is orderly, so the status says success.
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
        {
            for (final AgentRunner runner : runners)
            {
                runner.close();
            }
            try
            {
                endpoint.close();
            }
            catch (final RuntimeException ex)
            {
                event("release-failed error=" + ex.getMessage());
            }
            closeQuietly(countersFile);
            event("exit status=" + exitStatus);
            System.out.flush();
            Runtime.getRuntime().halt(exitStatus);
        }, "xts-proxy-stop"));
        if (latency)
        {
            // Reported, not fatal: the link works without them (an old kernel, or a limit without CAP_NET_ADMIN).
            event("busy-poll " + endpoint.socket().busyPoll(LATENCY_BUSY_POLL_US, LATENCY_BUSY_POLL_BUDGET, false));
        }
        final Thread[] started = new Thread[runners.length];
        for (int i = 0; i < runners.length; i++)
        {
            started[i] = AgentRunner.startOnThread(runners[i]);
        }
        event(String.format(Locale.ROOT,
            "ready iface=%s queue=%d pid=%d attach=%s idle=%s threads=%d latency=%s counters=%s",
            iface, queue, ProcessHandle.current().pid(), mode.name().toLowerCase(Locale.ROOT), idleName, threads,
            latency,
            null == countersFile ? "none" : countersFile.path()));
        // The interface can vanish under a running proxy (its namespace or the veth deleted): nothing can reach it
        // any more, so stop as on SIGTERM, with a failure status, instead of running on unreachable.
        while (true)
        {
            boolean running = false;
            for (final Thread thread : started)
            {
                thread.join(INTERFACE_CHECK_MS);
                running |= thread.isAlive();
            }
            if (!running)
            {
                return 0;
            }
            if (null == NetworkInterface.getByName(iface))
            {
                event("interface-gone iface=" + iface + " reason=the interface no longer exists; stopping");
                exitStatus = 1;
                System.exit(1);
            }
        }
    }

    /**
     * Make the agents and their runners, nothing started. The runners in stop order: the TCP agent first (FIN to
     * every peer, RESETs for the app into the ring), then the link agent (sends them, waits for the
     * acknowledgements, closes the link).
     */
    private AgentRunner[] runners(
        final XskLinkEndpoint endpoint, final ProxyConfig config, final CountersManager countersManager,
        final String name, final String idleName, final LinkKey linkKey)
    {
        final IdleStrategy idleStrategy = idleStrategy(idleName);
        final ProxyCounters proxyCounters = new ProxyCounters(countersManager, name);
        final LinkCounters linkCounters = new LinkCounters(countersManager, name);
        final ErrorHandler errors = new RepeatLimitedErrors();
        if (1 == threads)
        {
            final ProxyAgent agent = new ProxyAgent(endpoint.transport(), endpoint.linkConfig().withKey(linkKey),
                config, proxyCounters, linkCounters, ProxyCommand::event, new SystemNanoClock());
            agent.link().acknowledgeAtOnce(latency);
            agent.session().latency(latency);
            return new AgentRunner[] {new AgentRunner(idleStrategy, errors, null, agent)};
        }
        // Not freed at exit: the process ends right after, and a runner that timed out closing could still
        // touch the rings.
        final ProxyRings rings = new ProxyRings(ProxyRings.DEFAULT_CAPACITY);
        final TcpAgent tcp = new TcpAgent(rings, config, proxyCounters, ProxyCommand::event, new SystemNanoClock());
        final LinkAgent link = new LinkAgent(endpoint.transport(), endpoint.linkConfig().withKey(linkKey), rings,
            proxyCounters, linkCounters, ProxyCommand::event, new SystemNanoClock());
        link.link().acknowledgeAtOnce(latency);
        tcp.session().latency(latency);
        return new AgentRunner[] {new AgentRunner(idleStrategy, errors, null, tcp),
            new AgentRunner(idleStrategy(idleName), errors, null, link)};
    }

    /**
     * Prints agent errors as events, but the same error again within a second only as a count: an error that
     * repeats every duty cycle (a vanished interface fails every kick) must not flood the log.
     */
    private static final class RepeatLimitedErrors implements ErrorHandler
    {
        private String last;
        private long lastPrintedNs;
        private long repeats;

        @Override
        public synchronized void onError(final Throwable ex)
        {
            final String text = ex.getClass().getSimpleName() + ": " + ex.getMessage();
            final long now = System.nanoTime();
            if (text.equals(last) && now - lastPrintedNs < 1_000_000_000L)
            {
                repeats++;
                return;
            }
            if (repeats > 0)
            {
                event("error-repeated times=" + repeats + " error=" + last);
            }
            event("error " + text);
            last = text;
            lastPrintedNs = now;
            repeats = 0;
        }
    }

    static IdleStrategy idleStrategy(final String name)
    {
        return switch (name)
        {
            case "busy" -> new BusySpinIdleStrategy();
            case "yield" -> new YieldingIdleStrategy();
            case "backoff" -> new BackoffIdleStrategy();
            case "sleep" -> new SleepingMillisIdleStrategy(1);
            default -> throw new IllegalArgumentException(
                "--idle must be busy, yield, backoff or sleep, got '" + name + "'");
        };
    }

    private CountersFile openCounters() throws IOException
    {
        if ("none".equals(countersPath))
        {
            return null;
        }
        final Path path = null != countersPath ? Path.of(countersPath) :
            Path.of(COUNTERS_DIR, "proxy-" + iface + "-" + ProcessHandle.current().pid() + ".counters");
        final Path parent = path.toAbsolutePath().getParent();
        if (null != parent)
        {
            Files.createDirectories(parent);
        }
        return CountersFile.create(path, MAX_COUNTERS);
    }

    private static void closeQuietly(final CountersFile file)
    {
        if (null != file)
        {
            file.close();
        }
    }

    private static void event(final String text)
    {
        System.out.println("proxy-event " + text);
        System.out.flush();
    }
}
