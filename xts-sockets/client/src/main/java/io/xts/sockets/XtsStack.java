package io.xts.sockets;

import io.xts.link.FrameTransport;
import io.xts.link.LinkConfig;
import io.xts.link.LinkKey;
import io.xts.link.LinkCounters;
import io.xts.link.LinkListener;
import io.xts.link.LinkState;
import io.xts.link.XskLinkEndpoint;
import io.xts.xsk.RxWait;
import io.xts.link.XtsLink;
import io.xts.protocol.ConnectFlyweight;
import io.xts.protocol.EstablishedFlyweight;
import io.xts.protocol.ListenFlyweight;
import io.xts.protocol.ListenResultFlyweight;
import io.xts.protocol.OptionResultFlyweight;
import io.xts.protocol.SetOptionFlyweight;
import io.xts.protocol.SocketErrorFlyweight;
import io.xts.protocol.SocketResetFlyweight;
import io.xts.protocol.StreamCreditFlyweight;
import io.xts.xsk.AttachMode;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.collections.LongArrayQueue;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

import static io.xts.protocol.SocketMessages.ECONNRESET;
import static io.xts.protocol.SocketMessages.EPROTO;
import static io.xts.protocol.SocketMessages.FLAG_SO_REUSEADDR;
import static io.xts.protocol.SocketMessages.PROXY_ALLOCATED_ID;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_LINK_ERROR;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_ACCEPTED;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_CLOSE;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_CONNECT;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_CONNECT_RESULT;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_CREDIT;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_DDP_PLACE;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_DDP_TEARDOWN;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_PDU_HEADER;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_RESYNC_REQUEST;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_ULP_RESULT;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_DATA;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_ERROR;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_LISTEN;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_LISTEN_RESULT;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_OPTION_RESULT;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_RESET;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_SET_OPTION;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_SHUTDOWN;

/**
 * The app host's end of XTS: one XTS link to the offload proxy (over AF_XDP on an interface queue, or any
 * {@link FrameTransport} in tests) and the sockets, server sockets and selectors that run over it. The proxy does TCP
 * with kernel sockets; this class turns socket calls into the link's socket messages (docs/PROTOCOL.md, "Socket
 * operations") and the proxy's answers back into socket state, per-socket receive buffers and credit.
 * <p>
 * Threads: the link is single-threaded, so it and every piece of socket state are guarded by one fair
 * {@link ReentrantLock}, the stack lock. A poller thread (an Agrona {@link AgentRunner}) takes it for one duty cycle
 * at a time ({@code link.doWork}, which delivers incoming messages into the sockets) and gives it up between cycles;
 * an app thread takes it for one bounded piece of work (copy buffered bytes out, claim and fill a few DATA messages,
 * send a control message). The lock is fair, so a poller that re-locks at once queues behind app threads that
 * wait, and the reverse. Blocked calls wait on {@link Condition}s of that lock (one per socket and server socket,
 * one for link progress, one for selectors), which the poller signals as it delivers. With
 * {@code ownPoller(false)} there is no poller thread: the app calls {@link #poll()}, and blocking calls drive the
 * duty cycle themselves while they wait. docs/ARCHITECTURE.md ("Layer 2b") says why.
 */
public final class XtsStack implements AutoCloseable
{
    /** Marks a wait without deadline. */
    static final long NO_DEADLINE = Long.MIN_VALUE;
    /** How long a call waits for the proxy's answer to a control message (LISTEN, SET_OPTION). */
    static final long CONTROL_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);
    /** A blocked thread rechecks at least this often by itself: a safety net, since signals do the waking. */
    private static final long MAX_WAIT_SLICE_NS = TimeUnit.MILLISECONDS.toNanos(100);
    /** Pause of a thread that drives the link itself (ownPoller false) when a duty cycle found nothing to do. */
    private static final long SELF_POLL_IDLE_NS = TimeUnit.MICROSECONDS.toNanos(20);
    /**
     * Longest sleep on the AF_XDP socket's readiness: an interrupt does not end the ppoll, so a waiting thread looks
     * at its interrupt status at least this often; ten wakeups a second cost nothing.
     */
    private static final long RX_SLEEP_MAX_NS = TimeUnit.MILLISECONDS.toNanos(10);
    /** Default of {@link Builder#idleSpin}. */
    private static final long DEFAULT_IDLE_SPIN_NS = 0;
    /**
     * Spinning pays only when what a thread waits for usually comes within the spin (a failed spin costs the whole
     * spin in CPU, a successful one saves a park and wakeup of a few microseconds): {@link #spinScore} rises by one
     * per spin that ended in an event and falls by this much per spin that timed out, so spinning goes on only while
     * most spins succeed.
     */
    private static final int SPIN_FAIL_PENALTY = 4;
    private static final int SPIN_SCORE_MAX = 64;
    /** With a score of 0, one wait in this many still spins, to notice when spinning would pay again. */
    private static final int SPIN_PROBE_EVERY = 64;
    /** How long close() lets the link deliver the last CLOSE messages before it shuts the link. */
    private static final long CLOSE_DRAIN_NS = TimeUnit.MILLISECONDS.toNanos(500);
    /** Control messages waiting for room on the link, at most: three per socket is the most one socket needs. */
    private static final int MAX_QUEUED_CONTROL = 1 << 16;
    /** Counters a private counters manager has room for (link and socket counters need about 50). */
    private static final int PRIVATE_COUNTERS = 128;
    /** Latency mode: microseconds a wakeup syscall on the AF_XDP socket busy-polls the device (SO_BUSY_POLL). */
    private static final int LATENCY_BUSY_POLL_US = 20;
    /** Latency mode: packets one busy poll handles at most (SO_BUSY_POLL_BUDGET; the kernel's default is 8). */
    private static final int LATENCY_BUSY_POLL_BUDGET = 64;
    /** Attempts the poller makes to take the lock ahead of queued threads before it queues (see Poller). */
    private static final int POLLER_BARGE_SPINS = 10_000;

    final ReentrantLock lock = new ReentrantLock(true);
    /** Signalled when the link changes state or a duty cycle made progress (frames acknowledged: room to claim). */
    final Condition linkProgress = lock.newCondition();
    /** Signalled on any socket or server socket event, for selectors. */
    final Condition selectorEvent = lock.newCondition();

    private final String name;
    private final XskLinkEndpoint endpoint;
    private final XtsLink link;
    /** Sleep until frames arrive, for a thread that drives the link itself; null on an in-process transport. */
    private final RxWait rxWait;
    /** A thread sleeps in {@link #rxWait} (lock held to read or write). */
    private boolean rxSleeping;
    /** The socket that thread waits for, or null (lock held to read or write). */
    private XtsSocket rxSleepFor;
    private final LinkCounters linkCounters;
    final SocketCounters counters;
    private final boolean ownPoller;
    private MemorySegment viewedMemory;
    private ByteBuffer memoryView;
    private final AgentRunner runner;
    private final Thread pollerThread;
    final int receiveWindow;
    /** How long a waiting thread spins (polling) before it parks; 0: parks at once. */
    private final long idleSpinNs;
    /** Latency mode ({@link Builder#latency}): waiting threads poll without parking and without giving up. */
    private final boolean latency;
    /** What the kernel said to the busy-poll socket options in latency mode, or null. */
    private final String busyPollReport;
    /** How well spinning has paid lately; guarded by the lock. See {@link #SPIN_FAIL_PENALTY}. */
    private int spinScore = SPIN_SCORE_MAX;
    private int spinProbe;
    private final MemorySegment linkMemory;
    /** The link's memory as a ByteBuffer, for allocation-free bulk copies from the writer's ByteBuffer. */
    private final ByteBuffer linkView;

    final Int2ObjectHashMap<XtsSocket> sockets = new Int2ObjectHashMap<>();
    final Int2ObjectHashMap<XtsServerSocket> listeners = new Int2ObjectHashMap<>();
    /** Set under the lock when close() starts freeing the link; guarded by the lock. */
    private boolean released;
    /** Control messages (type << 32 | id) that found the link full, sent in order before anything new. */
    private final LongArrayQueue pendingControl = new LongArrayQueue(64, Long.MIN_VALUE);
    private int nextSocketId = 1;
    private int linkWaiters;
    int selectorWaiters;
    private String linkDownReason = "not up yet";
    private volatile boolean closed;
    private volatile String pollerError;

    private final ConnectFlyweight connectBody = new ConnectFlyweight();
    private final ListenFlyweight listenBody = new ListenFlyweight();
    private final EstablishedFlyweight establishedBody = new EstablishedFlyweight();
    private final ListenResultFlyweight listenResultBody = new ListenResultFlyweight();
    private final SocketResetFlyweight resetBody = new SocketResetFlyweight();
    private final SocketErrorFlyweight errorBody = new SocketErrorFlyweight();
    private final SetOptionFlyweight setOptionBody = new SetOptionFlyweight();
    private final OptionResultFlyweight optionResultBody = new OptionResultFlyweight();
    private final StreamCreditFlyweight creditBody = new StreamCreditFlyweight();

    private XtsStack(
        final Builder builder, final XskLinkEndpoint endpoint, final FrameTransport transport,
        final LinkConfig linkConfig, final String name, final CountersManager countersManager)
    {
        this.name = name;
        this.endpoint = endpoint;
        this.ownPoller = builder.ownPoller;
        this.receiveWindow = builder.receiveWindow;
        this.idleSpinNs = builder.idleSpinNs;
        this.latency = builder.latency;
        linkCounters = new LinkCounters(countersManager, name);
        counters = new SocketCounters(countersManager, name);
        link = new XtsLink(transport, linkConfig, new Dispatcher(), linkCounters, System.nanoTime());
        rxWait = null != endpoint ? new RxWait(endpoint.socket()) : null;
        linkMemory = link.memory();
        if (latency)
        {
            link.acknowledgeAtOnce(true);
            busyPollReport = null != endpoint ?
                endpoint.socket().busyPoll(LATENCY_BUSY_POLL_US, LATENCY_BUSY_POLL_BUDGET, false) : null;
        }
        else
        {
            busyPollReport = null;
        }
        linkView = linkMemory.byteSize() <= Integer.MAX_VALUE ? linkMemory.asByteBuffer() : null;
        if (ownPoller)
        {
            // Unless told otherwise, the poller sleeps until frames arrive when the link is quiet.
            final IdleStrategy idle = null != builder.idleStrategy ? builder.idleStrategy :
                builder.latency ? new BusySpinIdleStrategy() :
                null != rxWait ? new LinkIdleStrategy(this) : new BackoffIdleStrategy();
            runner = new AgentRunner(idle, this::onPollerError, null, new Poller());
            pollerThread = AgentRunner.startOnThread(runner, r ->
            {
                final Thread t = new Thread(r, "xts-poller " + name);
                // A forgotten close() must not keep the JVM alive.
                t.setDaemon(true);
                return t;
            });
        }
        else
        {
            runner = null;
            pollerThread = null;
        }
    }

    /**
     * @return a builder with the defaults: queue 0, native attach, 20480 UMEM frames, 8192-entry rings, a poller
     *         thread that sleeps until frames arrive when the link is quiet ({@link #newIdleStrategy()}), 256 KiB
     *         receive window per socket, 5 s to bring the link up.
     */
    public static Builder builder()
    {
        return new Builder();
    }

    /**
     * @return a builder for the interface named by the environment variable XTS_IFACE, queue XTS_QUEUE (default 0),
     *         attach mode XTS_ATTACH (native or skb, default native) and the link key in the file XTS_LINK_KEY_FILE
     *         names (none when unset).
     * @throws IllegalStateException when XTS_IFACE is not set or a variable cannot be parsed.
     */
    public static Builder fromEnvironment()
    {
        return fromEnvironment(System.getenv());
    }

    static Builder fromEnvironment(final Map<String, String> env)
    {
        final String iface = env.get("XTS_IFACE");
        if (null == iface || iface.isBlank())
        {
            throw new IllegalStateException("XTS_IFACE is not set: set it to the interface of the XTS link to the " +
                "proxy (e.g. XTS_IFACE=xts0; optional XTS_QUEUE=0, XTS_ATTACH=native|skb)");
        }
        final Builder builder = builder().iface(iface.trim());
        final String queue = env.get("XTS_QUEUE");
        if (null != queue && !queue.isBlank())
        {
            try
            {
                builder.queue(Integer.parseInt(queue.trim()));
            }
            catch (final IllegalArgumentException ex)
            {
                throw new IllegalStateException("XTS_QUEUE must be a queue number >= 0, got '" + queue + "'", ex);
            }
        }
        final String keyFile = env.get("XTS_LINK_KEY_FILE");
        if (null != keyFile && !keyFile.isBlank())
        {
            try
            {
                builder.linkKey(LinkKey.fromFile(Path.of(keyFile.trim())));
            }
            catch (final IOException | IllegalArgumentException ex)
            {
                throw new IllegalStateException("XTS_LINK_KEY_FILE: " + ex.getMessage(), ex);
            }
        }
        final String attach = env.get("XTS_ATTACH");
        if (null != attach && !attach.isBlank())
        {
            try
            {
                builder.attach(AttachMode.parse(attach.trim()));
            }
            catch (final IllegalArgumentException ex)
            {
                throw new IllegalStateException("XTS_ATTACH: " + ex.getMessage(), ex);
            }
        }
        return builder;
    }

    /**
     * Settings of a stack, validated where they enter; {@link #build()} opens it.
     */
    public static final class Builder
    {
        private String iface;
        private int queue;
        private int frames = 20480;
        private int ring = 8192;
        private AttachMode attach = AttachMode.NATIVE;
        private IdleStrategy idleStrategy;
        private boolean ownPoller = true;
        private int receiveWindow = 256 * 1024;
        private long idleSpinNs = DEFAULT_IDLE_SPIN_NS;
        private boolean latency;
        private Duration linkTimeout = Duration.ofSeconds(5);
        private FrameTransport transport;
        private LinkConfig linkConfig;
        private LinkKey linkKey;
        private CountersManager countersManager;

        private Builder()
        {
        }

        /**
         * @param iface network interface of the XTS link (toward the proxy).
         * @return this.
         */
        public Builder iface(final String iface)
        {
            Objects.requireNonNull(iface, "iface");
            if (iface.isEmpty() || iface.length() > 15)
            {
                throw new IllegalArgumentException("interface name must be 1-15 characters, got '" + iface + "'");
            }
            this.iface = iface;
            return this;
        }

        /**
         * @param queue the interface's queue id.
         * @return this.
         */
        public Builder queue(final int queue)
        {
            if (queue < 0)
            {
                throw new IllegalArgumentException("queue must be >= 0, got " + queue);
            }
            this.queue = queue;
            return this;
        }

        /**
         * @param frames UMEM frames of 4096 bytes.
         * @return this.
         */
        public Builder frames(final int frames)
        {
            if (frames < 2)
            {
                throw new IllegalArgumentException("frames must be >= 2, got " + frames);
            }
            this.frames = frames;
            return this;
        }

        /**
         * @param ring entries of each AF_XDP ring, a power of two.
         * @return this.
         */
        public Builder ring(final int ring)
        {
            if (ring <= 0 || 0 != (ring & (ring - 1)))
            {
                throw new IllegalArgumentException("ring size must be a power of two, got " + ring);
            }
            this.ring = ring;
            return this;
        }

        /**
         * @param attach how the XDP program is attached.
         * @return this.
         */
        public Builder attach(final AttachMode attach)
        {
            this.attach = Objects.requireNonNull(attach, "attach");
            return this;
        }

        /**
         * @param idleStrategy what the poller thread does when a duty cycle found nothing to do (default: spin briefly,
         *                     then sleep until frames arrive on the AF_XDP socket or the link's next timer).
         * @return this.
         */
        public Builder idleStrategy(final IdleStrategy idleStrategy)
        {
            this.idleStrategy = Objects.requireNonNull(idleStrategy, "idleStrategy");
            return this;
        }

        /**
         * @param ownPoller true (default): a poller thread drives the link; false: the app calls
         *                  {@link XtsStack#poll()} and blocking calls drive the link while they wait.
         * @return this.
         */
        public Builder ownPoller(final boolean ownPoller)
        {
            this.ownPoller = ownPoller;
            return this;
        }

        /**
         * @param bytes per-socket receive buffer, granted to the proxy as the socket's window.
         * @return this.
         */
        public Builder receiveWindow(final int bytes)
        {
            if (bytes < 1024 || bytes > (1 << 30))
            {
                throw new IllegalArgumentException("receive window must be 1 KiB..1 GiB, got " + bytes);
            }
            this.receiveWindow = bytes;
            return this;
        }

        /**
         * @param spin how long a thread waiting in a socket call (for data, credit, room on the link) keeps polling
         *             before it parks: with a poller thread it watches for the poller's signal, without one it runs
         *             duty cycles itself. Data that arrives meanwhile costs no wakeup (no context switch). Spinning
         *             adapts: it stops while most spins time out (each costs its whole length in CPU) and is tried
         *             again now and then. Zero parks (or sleeps until frames arrive) at once. Default 0: since a
         *             thread sleeps on the AF_XDP socket's readiness, a spin rarely saves more than it costs
         *             (measured: it doubled the in-place sender's CPU per GB; docs/PERFORMANCE.md).
         * @return this.
         */
        public Builder idleSpin(final Duration spin)
        {
            Objects.requireNonNull(spin, "spin");
            if (spin.isNegative() || spin.compareTo(Duration.ofMillis(10)) > 0)
            {
                throw new IllegalArgumentException("idle spin must be 0..10 ms, got " + spin);
            }
            this.idleSpinNs = spin.toNanos();
            return this;
        }

        /**
         * Latency mode, for request/response traffic that must not wait: the poller thread (if any) busy-spins
         * instead of backing off (unless {@link #idleStrategy} names another), a thread waiting in a socket call
         * polls for as long as it waits instead of parking (its spin no longer adapts; a virtual thread still parks),
         * the link acknowledges in the duty cycle that accepted a frame ({@link XtsLink#acknowledgeAtOnce}), and the
         * AF_XDP socket asks for busy polling (SO_BUSY_POLL, SO_BUSY_POLL_BUDGET; not SO_PREFER_BUSY_POLL, which
         * leaves frames to receive syscalls this stack does not make: docs/ARCHITECTURE.md;
         * what the kernel refused is in {@link XtsStack#busyPollReport()}, the stack works without them). The
         * price is CPU: a core per spinning thread even when idle (docs/PERFORMANCE.md, "Latency"). Default off.
         *
         * @param latency true for latency mode.
         * @return this.
         */
        public Builder latency(final boolean latency)
        {
            this.latency = latency;
            return this;
        }

        /**
         * @param timeout how long {@link #build()} waits for the link to come up.
         * @return this.
         */
        public Builder linkTimeout(final Duration timeout)
        {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative() || timeout.isZero())
            {
                throw new IllegalArgumentException("link timeout must be positive, got " + timeout);
            }
            this.linkTimeout = timeout;
            return this;
        }

        /**
         * For tests: run the link over this transport instead of opening AF_XDP. The transport stays the caller's
         * to close.
         *
         * @param transport the medium.
         * @return this.
         */
        public Builder transport(final FrameTransport transport)
        {
            this.transport = Objects.requireNonNull(transport, "transport");
            return this;
        }

        /**
         * @param linkConfig link settings (liveness, MACs); default: the endpoint's, or {@link LinkConfig#defaults()}.
         * @return this.
         */
        public Builder linkConfig(final LinkConfig linkConfig)
        {
            this.linkConfig = Objects.requireNonNull(linkConfig, "linkConfig");
            return this;
        }

        /**
         * @param key the link's pre-shared key (the proxy must have the same): HELLO and RESET are authenticated
         *            with it, and a proxy without it (or with another) is refused. Default: none, or the key in
         *            the file XTS_LINK_KEY_FILE names with {@link XtsStack#fromEnvironment()}.
         * @return this.
         */
        public Builder linkKey(final LinkKey key)
        {
            this.linkKey = Objects.requireNonNull(key, "key");
            return this;
        }

        /**
         * @param countersManager where the link and socket counters go (e.g. a counters file's, for {@code xts stat});
         *                        default: private memory.
         * @return this.
         */
        public Builder counters(final CountersManager countersManager)
        {
            this.countersManager = Objects.requireNonNull(countersManager, "countersManager");
            return this;
        }

        /**
         * Open the link (AF_XDP on the interface and queue, or the given transport), start the poller and wait for
         * the link to come up.
         *
         * @return the stack; close it.
         * @throws IOException when the interface cannot be opened or the link is not up in time, naming both.
         */
        public XtsStack build() throws IOException
        {
            if (null == transport && null == iface)
            {
                throw new IllegalStateException("no interface: call iface(...), or use XtsStack.fromEnvironment() " +
                    "with XTS_IFACE set");
            }
            final String where = null != transport ? "the supplied transport" : iface + " queue " + queue;
            XskLinkEndpoint endpoint = null;
            FrameTransport medium = transport;
            LinkConfig config = linkConfig;
            if (null == medium)
            {
                try
                {
                    endpoint = XskLinkEndpoint.open(new XskLinkEndpoint.Config(iface, queue, attach, frames, ring, 0));
                }
                catch (final RuntimeException | LinkageError ex)
                {
                    throw new IOException("cannot open the XTS link on " + where + ": " + ex.getMessage(), ex);
                }
                medium = endpoint.transport();
                if (null == config)
                {
                    config = endpoint.linkConfig();
                }
            }
            if (null == config)
            {
                config = LinkConfig.defaults();
            }
            if (null != linkKey)
            {
                config = config.withKey(linkKey);
            }
            final CountersManager manager = null != countersManager ? countersManager : new CountersManager(
                new UnsafeBuffer(ByteBuffer.allocateDirect(PRIVATE_COUNTERS * CountersReader.METADATA_LENGTH)),
                new UnsafeBuffer(ByteBuffer.allocateDirect(PRIVATE_COUNTERS * CountersReader.COUNTER_LENGTH)));
            final String stackName = null != transport ? "in-process" : iface + " q" + queue;
            XtsStack stack = null;
            try
            {
                stack = new XtsStack(this, endpoint, medium, config, stackName, manager);
                stack.awaitLinkUp(linkTimeout, where);
                return stack;
            }
            catch (final IOException | RuntimeException | Error ex)
            {
                if (null != stack)
                {
                    stack.close();
                }
                else if (null != endpoint)
                {
                    endpoint.close();
                }
                throw ex;
            }
        }
    }

    private void awaitLinkUp(final Duration timeout, final String where) throws IOException
    {
        lock.lock();
        try
        {
            final long deadline = System.nanoTime() + timeout.toNanos();
            while (LinkState.UP != link.state())
            {
                if (!awaitOnce(linkProgress, deadline))
                {
                    final String why = null != link.failure() ? link.failure() :
                        "no answer from the proxy (is it running, on the other end of this interface and queue?)";
                    throw new IOException("XTS link on " + where + " not up after " + timeout.toMillis() + " ms: " +
                        why);
                }
            }
        }
        finally
        {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Public API
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * Open a socket and connect it.
     *
     * @param remote  where to connect (resolved).
     * @param timeout how long to wait; null or zero: the proxy's default.
     * @return the connected socket.
     * @throws IOException as {@link XtsSocket#connect}.
     */
    public XtsSocket connect(final InetSocketAddress remote, final Duration timeout) throws IOException
    {
        final XtsSocket socket = openSocket();
        socket.connect(remote, timeout);
        return socket;
    }

    /**
     * @return the receive window each socket of this stack grants the proxy, in bytes.
     */
    public int receiveWindow()
    {
        return receiveWindow;
    }

    /**
     * @return whether this stack runs in latency mode ({@link Builder#latency}).
     */
    public boolean latency()
    {
        return latency;
    }

    /**
     * @return what the kernel answered to each busy-poll option of latency mode ("SO_BUSY_POLL=20 ok, ..."),
     *         or null when the stack is not in latency mode or has no AF_XDP socket.
     */
    public String busyPollReport()
    {
        return busyPollReport;
    }

    /**
     * @return whether this stack runs its own poller thread (else the app drives it with {@link #poll()}).
     */
    public boolean ownsPoller()
    {
        return ownPoller;
    }

    /**
     * @return an unconnected socket: set options, then {@link XtsSocket#connect}.
     */
    public XtsSocket openSocket()
    {
        return new XtsSocket(this);
    }

    /**
     * Ask the proxy to listen on a local address of its host.
     *
     * @param local   address to bind on the proxy (port 0: any free port; see {@link XtsServerSocket#getLocalAddress}).
     * @param backlog connections accepted by the proxy and queued here, at most (0 or less: 50).
     * @return the listening server socket.
     * @throws IOException BindException, XtsPolicyException, SocketException, or link down.
     */
    public XtsServerSocket listen(final InetSocketAddress local, final int backlog) throws IOException
    {
        Objects.requireNonNull(local, "local");
        if (local.isUnresolved())
        {
            throw new UnknownHostException(local.getHostString());
        }
        final XtsServerSocket server = new XtsServerSocket(this, backlog > 0 ? backlog : 50);
        server.listen(local);
        return server;
    }

    /**
     * @return a new selector for this stack's sockets.
     */
    public XtsSelector openSelector()
    {
        return new XtsSelector(this);
    }

    /**
     * One duty cycle: receive and deliver, send what is queued. For {@code ownPoller(false)}; harmless otherwise.
     *
     * @return work done, 0 when idle (for an idle strategy).
     */
    public int poll()
    {
        lock.lock();
        try
        {
            return cycle(System.nanoTime());
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * @return whether the link to the proxy is up.
     */
    public boolean isLinkUp()
    {
        lock.lock();
        try
        {
            return LinkState.UP == link.state();
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * @return why the link failed or last went down, or null.
     */
    public String linkFailure()
    {
        lock.lock();
        try
        {
            return link.failure();
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * @return the socket counters.
     */
    public SocketCounters counters()
    {
        return counters;
    }

    /**
     * @return the link's counters.
     */
    public LinkCounters linkCounters()
    {
        return linkCounters;
    }

    /**
     * @return received link frames kept for use in place ({@link XtsSocket#ulpRetainFrame()}) and not yet released.
     */
    public int retainedFrames()
    {
        lock.lock();
        try
        {
            return released ? 0 : link.retainedFrames();
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * @return TX kicks ({@code sendto} wakeups of the kernel) made on the AF_XDP socket so far, 0 over another
     *         transport; read it from the thread that drives the link, or when the stack is idle.
     */
    public long txKicks()
    {
        return null == endpoint ? 0 : endpoint.transport().kicks();
    }

    /**
     * @return RX wakeups ({@code recvfrom} for the fill ring) made on the AF_XDP socket so far, 0 over another
     *         transport; read it as {@link #txKicks()}.
     */
    public long rxWakeups()
    {
        return null == endpoint ? 0 : endpoint.socket().rxWakeups();
    }

    /**
     * Close every socket and server socket (CLOSE to the proxy), let the link deliver that for a moment, stop the
     * poller, shut the link and release the AF_XDP resources. Later calls do nothing.
     */
    @Override
    public void close()
    {
        lock.lock();
        try
        {
            if (closed)
            {
                return;
            }
            closed = true;
            for (final XtsServerSocket server : new ArrayList<>(listeners.values()))
            {
                server.closeLocked();
            }
            for (final XtsSocket socket : new ArrayList<>(sockets.values()))
            {
                socket.closeLocked(false);
            }
            linkDownReason = "XTS stack closed";
            if (rxSleeping)
            {
                rxWait.ring();
            }
            linkProgress.signalAll();
            selectorEvent.signalAll();
            // Let the CLOSE messages reach the proxy before the link's RESET takes everything down.
            final long deadline = System.nanoTime() + CLOSE_DRAIN_NS;
            while (LinkState.UP == link.state() && (!link.drained() || !pendingControl.isEmpty()) &&
                System.nanoTime() - deadline < 0)
            {
                if (!awaitOnce(linkProgress, deadline))
                {
                    break;
                }
            }
        }
        catch (final InterruptedIOException ex)
        {
            Thread.currentThread().interrupt();
        }
        finally
        {
            lock.unlock();
        }
        if (null != runner)
        {
            runner.close();
        }
        lock.lock();
        try
        {
            // From here the link's memory and rings are being freed: no duty cycle may touch them (a thread still
            // driving the stack, such as an NVMe queue's reader, gets 0 from poll()).
            released = true;
            link.close();
        }
        finally
        {
            lock.unlock();
        }
        if (null != rxWait)
        {
            // A thread may still be in its sleep: ring, and let it leave before the eventfd goes.
            rxWait.ring();
            lock.lock();
            try
            {
                while (rxSleeping)
                {
                    lock.unlock();
                    Thread.onSpinWait();
                    lock.lock();
                }
            }
            finally
            {
                lock.unlock();
            }
            rxWait.close();
        }
        if (null != endpoint)
        {
            endpoint.close();
        }
        counters.close();
        linkCounters.close();
    }

    @Override
    public String toString()
    {
        return "XtsStack[" + name + "]";
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Inside the library; every method below runs with the lock held
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * One duty cycle: control messages that waited for room first (they are older than anything new), then the
     * link. Wakes threads waiting for room on the link when it made progress.
     */
    private int cycle(final long nowNs)
    {
        return cycle(nowNs, false);
    }

    /**
     * @param deferAcks the caller is a reader about to consume what this cycle delivers and to run another cycle
     *                  right after (receiving in place): the link's acknowledgement waits for that cycle, so that it
     *                  leaves in one frame with the credit the consumption returns.
     */
    private int cycle(final long nowNs, final boolean deferAcks)
    {
        if (released)
        {
            return 0;
        }
        int work = flushPendingControl();
        final long receivedBefore = rxSleeping ? linkCounters.framesReceived() : 0;
        work += link.doWork(nowNs, deferAcks);
        if (rxSleeping && linkCounters.framesReceived() != receivedBefore)
        {
            // This thread took frames the sleeping one may be waiting for: the ring it slept on will not tell it.
            rxWait.ring();
        }
        if (work > 0 && linkWaiters > 0)
        {
            linkProgress.signalAll();
        }
        return work;
    }

    /**
     * @param memory the link's memory (the transport's frames), where received message bodies are.
     * @return a ByteBuffer view of it, made once: bodies are copied into the app's buffers through it without a
     *         view per message.
     */
    ByteBuffer viewOf(final MemorySegment memory)
    {
        if (memory != viewedMemory)
        {
            memoryView = memory.asByteBuffer();
            viewedMemory = memory;
        }
        return memoryView;
    }

    /**
     * Wait once for a signal on {@code condition} (or, without a poller thread, run a duty cycle). Callers loop,
     * rechecking what they wait for.
     *
     * @param condition  a condition of {@link #lock}.
     * @param deadlineNs {@link System#nanoTime()} deadline or {@link #NO_DEADLINE}.
     * @return false when the deadline has passed.
     * @throws InterruptedIOException when the thread is interrupted.
     */
    boolean awaitOnce(final Condition condition, final long deadlineNs) throws InterruptedIOException
    {
        return awaitOnce(condition, deadlineNs, null, false);
    }

    /**
     * As {@link #awaitOnce(Condition, long)}; first, for up to the idle spin, it polls without parking: with a
     * poller thread it watches the socket's signals with the lock let go (only its own, so that other sockets'
     * traffic cannot keep it spinning), without one it runs duty cycles until one does some work.
     *
     * @param spinOn    the socket whose {@code condition} this is, or null: park at once (with a poller thread).
     * @param deferAcks as {@link #cycle(long, boolean)}, for the cycles this thread runs itself.
     */
    boolean awaitOnce(
        final Condition condition, final long deadlineNs, final XtsSocket spinOn, final boolean deferAcks)
        throws InterruptedIOException
    {
        long now = System.nanoTime();
        if (NO_DEADLINE != deadlineNs && now - deadlineNs >= 0)
        {
            return false;
        }
        final long wait = NO_DEADLINE == deadlineNs ? MAX_WAIT_SLICE_NS : Math.min(deadlineNs - now,
            MAX_WAIT_SLICE_NS);
        if (ownPoller)
        {
            if (null != spinOn && spinNow())
            {
                final boolean signalled = spinForSignal(spinOn, spinLimit(wait));
                spinDone(signalled);
                if (signalled)
                {
                    return true;
                }
            }
            final boolean forLink = condition == linkProgress;
            if (forLink)
            {
                linkWaiters++;
            }
            try
            {
                condition.awaitNanos(wait);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting on the XTS stack " + name);
            }
            finally
            {
                if (forLink)
                {
                    linkWaiters--;
                }
            }
            return true;
        }
        if (0 != cycle(now, deferAcks))
        {
            return true;
        }
        // Nobody else drives the link: do it here, spinning for a while, and let other threads in between cycles.
        if (spinNow())
        {
            final long spinUntil = now + spinLimit(wait);
            boolean worked = false;
            while (!worked && spinUntil - now > 0)
            {
                lock.unlock();
                try
                {
                    Thread.onSpinWait();
                }
                finally
                {
                    lock.lock();
                }
                throwIfInterrupted();
                worked = 0 != cycle(now = System.nanoTime(), deferAcks);
            }
            spinDone(worked);
            if (worked)
            {
                return true;
            }
        }
        if (null != spinOn && sleepUntilFrames(spinOn, Math.min(wait, RX_SLEEP_MAX_NS)))
        {
            throwIfInterrupted();
            return true;
        }
        lock.unlock();
        try
        {
            LockSupport.parkNanos(Math.min(wait, SELF_POLL_IDLE_NS));
        }
        finally
        {
            lock.lock();
        }
        throwIfInterrupted();
        return true;
    }

    /**
     * Sleep with the lock let go until a frame arrives on the link, another thread rings (it took frames that concern
     * this one, or queued work for it), or the link's next timer is due: the waiting thread is woken by the kernel,
     * as a blocking TCP reader is, instead of polling on a timer. One thread sleeps so at a time; the others that wait
     * meanwhile park briefly and drive the link. The acknowledgement the link owes goes out first (lock held).
     *
     * @param socket the socket the thread waits for, or null (it waits for any frame).
     * @param maxNs  longest sleep.
     * @return false when it could not sleep (no AF_XDP socket, another thread sleeps, the stack is closing): the
     *         caller parks as before; true when it slept or found the link has work at once.
     */
    boolean sleepUntilFrames(final XtsSocket socket, final long maxNs)
    {
        if (null == rxWait || rxSleeping || released || closed)
        {
            return false;
        }
        final long timer = link.beforeSleep(System.nanoTime());
        if (0 == timer)
        {
            return true;
        }
        rxSleeping = true;
        rxSleepFor = socket;
        lock.unlock();
        try
        {
            rxWait.await(Math.min(maxNs, timer));
        }
        finally
        {
            lock.lock();
            rxSleeping = false;
            rxSleepFor = null;
        }
        return true;
    }

    /**
     * @return a fresh idle strategy for a thread that drives this stack itself ({@link #poll()} in a loop): it spins
     *         briefly after a duty cycle that found nothing, then sleeps until frames arrive or the link's next
     *         timer, as the poller thread does; without an AF_XDP socket it backs off and parks as Agrona's does.
     */
    public IdleStrategy newIdleStrategy()
    {
        return null != rxWait ? new LinkIdleStrategy(this) : new BackoffIdleStrategy();
    }

    /**
     * For {@link LinkIdleStrategy}: take the lock and sleep until frames arrive (or park briefly when another thread
     * already sleeps so).
     */
    void idleUntilFrames()
    {
        lock.lock();
        try
        {
            if (sleepUntilFrames(null, RX_SLEEP_MAX_NS))
            {
                return;
            }
        }
        finally
        {
            lock.unlock();
        }
        LockSupport.parkNanos(SELF_POLL_IDLE_NS);
    }

    /**
     * {@code socket} was signalled (lock held): if its waiter sleeps until frames arrive, wake it, since the frames
     * that concern it were taken by this thread.
     */
    void wakeSleeper(final XtsSocket socket)
    {
        if (rxSleeping && socket == rxSleepFor)
        {
            rxWait.ring();
        }
    }

    /**
     * @return whether this wait should spin first (lock held): a spin is configured and spinning has paid lately, or
     *         it is time for a probe.
     */
    private boolean spinNow()
    {
        // A virtual thread never spins: it would hold its carrier, and thousands of them waiting at once (a connect
        // storm) would starve the threads that drive the link.
        if (Thread.currentThread().isVirtual())
        {
            return false;
        }
        return latency || idleSpinNs > 0 && (spinScore > 0 || 0 == ++spinProbe % SPIN_PROBE_EVERY);
    }

    /**
     * @param wait how long this wait may last.
     * @return how long to spin: the idle spin, or in latency mode the whole wait.
     */
    private long spinLimit(final long wait)
    {
        return latency ? wait : Math.min(wait, idleSpinNs);
    }

    /**
     * Score a spin (lock held).
     *
     * @param paid whether it ended in what the thread waited for (or any work of the link) rather than timing out.
     */
    private void spinDone(final boolean paid)
    {
        spinScore = paid ? Math.min(SPIN_SCORE_MAX, spinScore + 1) : Math.max(0, spinScore - SPIN_FAIL_PENALTY);
    }

    /**
     * With the lock let go, spin until the socket is signalled or the time is up.
     *
     * @return true when it was signalled (the caller rechecks); false: park.
     */
    private boolean spinForSignal(final XtsSocket socket, final long spinNs)
    {
        final long seen = socket.signals();
        final long start = System.nanoTime();
        lock.unlock();
        try
        {
            while (seen == socket.signals() && System.nanoTime() - start < spinNs)
            {
                Thread.onSpinWait();
            }
        }
        finally
        {
            lock.lock();
        }
        // Checked with the lock held: a signal after the spin and before this check is not missed.
        return seen != socket.signals();
    }

    private void throwIfInterrupted() throws InterruptedIOException
    {
        if (Thread.interrupted())
        {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting on the XTS stack " + name);
        }
    }

    /**
     * Something was queued on the link by an app thread: get it on the wire now rather than at the poller's next
     * wakeup (its idle strategy may be parked for up to a millisecond).
     */
    void afterSend()
    {
        if (null != pollerThread)
        {
            if (rxSleeping)
            {
                rxWait.ring();
            }
            else
            {
                LockSupport.unpark(pollerThread);
            }
        }
        else
        {
            cycle(System.nanoTime());
        }
    }

    /**
     * Wake selectors: a socket or server socket became ready or changed.
     */
    void socketEvent()
    {
        if (selectorWaiters > 0)
        {
            selectorEvent.signalAll();
        }
    }

    boolean isClosed()
    {
        return closed;
    }

    boolean linkUp()
    {
        return LinkState.UP == link.state();
    }

    SocketException linkDownException()
    {
        if (closed)
        {
            return new SocketException("XTS stack closed");
        }
        return SocketErrors.linkDown(null != link.failure() ? link.failure() : linkDownReason);
    }

    int maxMessageLength()
    {
        return link.maxMessageLength();
    }

    int allocateSocketId() throws SocketException
    {
        if (nextSocketId <= 0 || 0 != (nextSocketId & PROXY_ALLOCATED_ID))
        {
            throw new SocketException("socket ids exhausted on the XTS link " + name + " (2^31 - 1 used)");
        }
        return nextSocketId++;
    }

    /**
     * Claim room for a message on the link, counting a stall when there is none.
     *
     * @return the body's offset in the link memory, or -1.
     */
    long claim(final int type, final int id, final int length)
    {
        final long body = released ? -1 : link.claim(type, id, length);
        if (body < 0)
        {
            counters.linkStalls.incrementRelease();
        }
        return body;
    }

    /**
     * Copy {@code n} bytes from {@code src} (advancing it) into a claimed DATA body.
     */
    void copyIntoLink(final long body, final ByteBuffer src, final int n)
    {
        if (null != linkView)
        {
            linkView.put((int)body, src, src.position(), n);
        }
        else
        {
            MemorySegment.copy(MemorySegment.ofBuffer(src), 0, linkMemory, body, n);
        }
        src.position(src.position() + n);
    }

    boolean sendConnect(
        final int id, final InetSocketAddress remote, final long timeoutMillis, final int flags, final int rcvBuf,
        final int sndBuf)
    {
        final long body = claim(TYPE_SOCKET_CONNECT, id, ConnectFlyweight.LENGTH);
        if (body < 0)
        {
            return false;
        }
        connectBody.wrap(linkMemory, body, ConnectFlyweight.LENGTH)
            .remote(remote)
            .timeoutMillis(timeoutMillis)
            .receiveWindow(receiveWindow)
            .flags(flags)
            .receiveBuffer(rcvBuf)
            .sendBuffer(sndBuf);
        return true;
    }

    boolean sendListen(final int id, final InetSocketAddress local, final int backlog)
    {
        final long body = claim(TYPE_SOCKET_LISTEN, id, ListenFlyweight.LENGTH);
        if (body < 0)
        {
            return false;
        }
        // SO_REUSEADDR on listeners, as java.net.ServerSocket does on Linux: a restarted server can bind again.
        listenBody.wrap(linkMemory, body, ListenFlyweight.LENGTH)
            .local(local)
            .backlog(backlog)
            .receiveWindow(receiveWindow)
            .flags(FLAG_SO_REUSEADDR);
        return true;
    }

    boolean sendSetOption(final int id, final int option, final long value)
    {
        final long body = claim(TYPE_SOCKET_SET_OPTION, id, SetOptionFlyweight.LENGTH);
        if (body < 0)
        {
            return false;
        }
        setOptionBody.wrap(linkMemory, body, SetOptionFlyweight.LENGTH).option(option).value(value);
        return true;
    }

    /**
     * Send a CREDIT for the socket's current consumed position, or queue it when the link is full.
     */
    void sendCredit(final XtsSocket socket)
    {
        if (!pendingControl.isEmpty() || !trySendCredit(socket))
        {
            queueControl(TYPE_SOCKET_CREDIT, socket.id());
        }
    }

    private boolean trySendCredit(final XtsSocket socket)
    {
        final long body = claim(TYPE_SOCKET_CREDIT, socket.id(), StreamCreditFlyweight.LENGTH);
        if (body < 0)
        {
            return false;
        }
        final long position = socket.advertiseCredit();
        creditBody.wrap(linkMemory, body, StreamCreditFlyweight.LENGTH).write(position, receiveWindow);
        counters.creditsSent.incrementRelease();
        return true;
    }

    /**
     * Send SHUTDOWN, CLOSE or RESET (errno 0) for a socket id, after whatever control messages wait before it, so the
     * order the app asked for is the order the proxy sees.
     */
    void sendControl(final int type, final int id)
    {
        flushPendingControl();
        if (!pendingControl.isEmpty() || !trySendControl(type, id))
        {
            queueControl(type, id);
        }
    }

    private boolean trySendControl(final int type, final int id)
    {
        if (TYPE_SOCKET_RESET == type)
        {
            final long body = claim(type, id, SocketResetFlyweight.LENGTH);
            if (body < 0)
            {
                return false;
            }
            resetBody.wrap(linkMemory, body, SocketResetFlyweight.LENGTH).errno(0);
            return true;
        }
        return claim(type, id, 0) >= 0;
    }

    private void queueControl(final int type, final int id)
    {
        if (pendingControl.size() >= MAX_QUEUED_CONTROL)
        {
            // Only reachable if the link stays full while the app opens and closes tens of thousands of sockets; the
            // link will fail first. Dropping a message here leaves a socket on the proxy until the link goes down.
            counters.linkStalls.incrementRelease();
            return;
        }
        pendingControl.addLong(((long)type << 32) | (id & 0xFFFF_FFFFL));
    }

    private int flushPendingControl()
    {
        int sent = 0;
        while (!pendingControl.isEmpty())
        {
            final long entry = pendingControl.peekLong();
            final int type = (int)(entry >>> 32);
            final int id = (int)entry;
            if (TYPE_SOCKET_CREDIT == type)
            {
                final XtsSocket socket = sockets.get(id);
                if (null != socket && socket.wantsCredit() && !trySendCredit(socket))
                {
                    return sent;
                }
            }
            else if (!trySendControl(type, id))
            {
                return sent;
            }
            pendingControl.pollLong();
            sent++;
        }
        return sent;
    }

    private void onPollerError(final Throwable ex)
    {
        // The link keeps every error inside its loop; anything here is a bug of ours. Report it and keep going:
        // stopping the poller would hang every socket.
        if (null == pollerError)
        {
            pollerError = ex.toString();
            System.err.println("xts-poller " + name + ": unexpected error (reported once): " + ex);
            ex.printStackTrace();
        }
    }

    private void linkDown(final String reason)
    {
        linkDownReason = reason;
        // Whatever waited to be sent belongs to sockets of the dead epoch.
        pendingControl.clear();
        final List<XtsSocket> failing = new ArrayList<>(sockets.values());
        for (final XtsSocket socket : failing)
        {
            socket.failLinkDown(reason);
        }
        for (final XtsServerSocket server : new ArrayList<>(listeners.values()))
        {
            server.failLinkDown(reason);
        }
        listeners.clear();
        linkProgress.signalAll();
        selectorEvent.signalAll();
    }

    /**
     * The poller's agent: one duty cycle per call, under the lock, so the lock is free between cycles.
     */
    private final class Poller implements Agent
    {
        @Override
        public int doWork()
        {
            acquireBarging();
            try
            {
                return cycle(System.nanoTime());
            }
            finally
            {
                lock.unlock();
            }
        }

        @Override
        public String roleName()
        {
            return "xts-poller " + name;
        }

        /**
         * Take the stack lock ahead of queued application threads: the fair lock would queue the duty cycle behind
         * every thread waiting for it (thousands of virtual threads connecting at once), and while the link has no
         * duty cycle it sends no heartbeat, so the proxy would declare this host dead. An untimed tryLock ignores
         * fairness: it takes the lock in the moment between one holder's release and the next queued thread's
         * acquire. After a bounded spin it queues like everyone else.
         */
        private void acquireBarging()
        {
            for (int i = 0; i < POLLER_BARGE_SPINS; i++)
            {
                if (lock.tryLock())
                {
                    return;
                }
                Thread.onSpinWait();
            }
            lock.lock();
        }
    }

    /**
     * Turns the proxy's messages into socket state. Called by the link inside a duty cycle, so with the lock held.
     * Never refuses a message: a socket's receive buffer always has room for what its credit allowed, so one slow
     * reader never holds up the link for the others.
     */
    private final class Dispatcher implements LinkListener
    {
        @Override
        public boolean onMessage(
            final int type, final int id, final MemorySegment memory, final long offset, final int length)
        {
            try
            {
                switch (type)
                {
                    case TYPE_SOCKET_DATA -> onData(id, memory, offset, length);
                    case TYPE_SOCKET_CREDIT -> onCredit(id, memory, offset, length);
                    case TYPE_SOCKET_CONNECT_RESULT -> onConnectResult(id, memory, offset, length);
                    case TYPE_SOCKET_ACCEPTED -> onAccepted(id, memory, offset, length);
                    case TYPE_SOCKET_LISTEN_RESULT -> onListenResult(id, memory, offset, length);
                    case TYPE_SOCKET_SHUTDOWN -> onShutdown(id);
                    case TYPE_SOCKET_RESET -> onReset(id, memory, offset, length);
                    case TYPE_SOCKET_ERROR -> onError(id, memory, offset, length);
                    case TYPE_SOCKET_OPTION_RESULT -> onOptionResult(id, memory, offset, length);
                    case TYPE_LINK_ERROR -> counters.protocolErrors.incrementRelease();
                    case TYPE_NVME_ULP_RESULT, TYPE_NVME_DDP_TEARDOWN, TYPE_NVME_DDP_PLACE, TYPE_NVME_PDU_HEADER,
                         TYPE_NVME_RESYNC_REQUEST -> onUlp(type, id, memory, offset, length);
                    // Requests (CONNECT, ULP_PUSH ...) go the other way.
                    default -> counters.protocolErrors.incrementRelease();
                }
            }
            catch (final RuntimeException ex)
            {
                // A message we cannot make sense of must not take the link down for every other socket.
                counters.protocolErrors.incrementRelease();
                onPollerError(ex);
            }
            return true;
        }

        @Override
        public void onLinkUp(final int peerEpoch, final int version)
        {
            linkProgress.signalAll();
        }

        @Override
        public void onLinkDown(final String reason)
        {
            linkDown(reason);
        }

        private void onData(final int id, final MemorySegment memory, final long offset, final int length)
        {
            final XtsSocket socket = sockets.get(id);
            if (null == socket)
            {
                // DATA already in flight when the app closed the socket: nobody wants it.
                counters.unknownIds.incrementRelease();
                return;
            }
            if (!socket.onData(memory, offset, length))
            {
                counters.protocolErrors.incrementRelease();
                sendControl(TYPE_SOCKET_RESET, id);
            }
        }

        private void onUlp(
            final int type, final int id, final MemorySegment memory, final long offset, final int length)
        {
            final XtsSocket socket = sockets.get(id);
            if (null == socket)
            {
                counters.unknownIds.incrementRelease();
                return;
            }
            if (!socket.onUlp(type, memory, offset, length))
            {
                counters.protocolErrors.incrementRelease();
            }
        }

        private void onCredit(final int id, final MemorySegment memory, final long offset, final int length)
        {
            final XtsSocket socket = sockets.get(id);
            if (null == socket)
            {
                counters.unknownIds.incrementRelease();
                return;
            }
            creditBody.wrap(memory, offset, length);
            if (!creditBody.isComplete() || creditBody.position() < 0)
            {
                counters.protocolErrors.incrementRelease();
                return;
            }
            socket.onCredit(creditBody.position(), creditBody.window());
        }

        private void onConnectResult(final int id, final MemorySegment memory, final long offset, final int length)
        {
            final XtsSocket socket = sockets.get(id);
            if (null == socket)
            {
                counters.unknownIds.incrementRelease();
                return;
            }
            establishedBody.wrap(memory, offset, length);
            if (!establishedBody.isComplete())
            {
                counters.protocolErrors.incrementRelease();
                socket.onConnectResult(EPROTO, 0, null, null);
                return;
            }
            socket.onConnectResult(establishedBody.errno(), establishedBody.sendWindow(), establishedBody.local(),
                establishedBody.remote());
        }

        private void onAccepted(final int id, final MemorySegment memory, final long offset, final int length)
        {
            establishedBody.wrap(memory, offset, length);
            if (!establishedBody.isComplete() || 0 == (id & PROXY_ALLOCATED_ID) || sockets.containsKey(id))
            {
                counters.protocolErrors.incrementRelease();
                sendControl(TYPE_SOCKET_RESET, id);
                return;
            }
            final XtsServerSocket server = listeners.get(establishedBody.listenerId());
            if (null == server || !server.hasRoom())
            {
                // Beyond the backlog (or for a listener closed meanwhile): refuse, as a kernel drops a SYN.
                counters.acceptOverflows.incrementRelease();
                sendControl(TYPE_SOCKET_RESET, id);
                return;
            }
            final XtsSocket socket = new XtsSocket(XtsStack.this, id, establishedBody.sendWindow(),
                establishedBody.local(), establishedBody.remote());
            sockets.put(id, socket);
            counters.accepted.incrementRelease();
            server.onAccepted(socket);
        }

        private void onListenResult(final int id, final MemorySegment memory, final long offset, final int length)
        {
            final XtsServerSocket server = listeners.get(id);
            if (null == server)
            {
                counters.unknownIds.incrementRelease();
                return;
            }
            listenResultBody.wrap(memory, offset, length);
            if (!listenResultBody.isComplete())
            {
                counters.protocolErrors.incrementRelease();
                server.onListenResult(EPROTO, null);
                return;
            }
            server.onListenResult(listenResultBody.errno(), listenResultBody.bound());
        }

        private void onShutdown(final int id)
        {
            final XtsSocket socket = sockets.get(id);
            if (null == socket)
            {
                counters.unknownIds.incrementRelease();
                return;
            }
            socket.onShutdown();
        }

        private void onReset(final int id, final MemorySegment memory, final long offset, final int length)
        {
            counters.resetsReceived.incrementRelease();
            resetBody.wrap(memory, offset, length);
            final int errno = resetBody.isComplete() ? resetBody.errno() : ECONNRESET;
            final XtsSocket socket = sockets.get(id);
            if (null != socket)
            {
                socket.onReset(errno);
                return;
            }
            final XtsServerSocket server = listeners.get(id);
            if (null != server)
            {
                listeners.remove(id);
                server.onReset(errno);
                return;
            }
            counters.unknownIds.incrementRelease();
        }

        private void onError(final int id, final MemorySegment memory, final long offset, final int length)
        {
            counters.proxyErrors.incrementRelease();
            errorBody.wrap(memory, offset, length);
            if (!errorBody.isComplete())
            {
                counters.protocolErrors.incrementRelease();
                return;
            }
            final int errno = errorBody.errno();
            final int offendingType = errorBody.offendingType();
            final XtsSocket socket = sockets.get(id);
            if (null != socket)
            {
                socket.onError(errno, offendingType, errorBody.text());
                return;
            }
            final XtsServerSocket server = listeners.get(id);
            if (null != server && TYPE_SOCKET_LISTEN == offendingType)
            {
                server.onListenResult(errno, null);
            }
        }

        private void onOptionResult(final int id, final MemorySegment memory, final long offset, final int length)
        {
            final XtsSocket socket = sockets.get(id);
            if (null == socket)
            {
                counters.unknownIds.incrementRelease();
                return;
            }
            optionResultBody.wrap(memory, offset, length);
            if (!optionResultBody.isComplete())
            {
                counters.protocolErrors.incrementRelease();
                socket.onOptionResult(-1, EPROTO, 0);
                return;
            }
            socket.onOptionResult(optionResultBody.option(), optionResultBody.errno(), optionResultBody.value());
        }
    }

    /**
     * Used by {@link XtsSocket#close()} and {@link XtsServerSocket#close()}: CLOSE for a live id.
     */
    void sendClose(final int id)
    {
        sendControl(TYPE_SOCKET_CLOSE, id);
    }

    void sendShutdown(final int id)
    {
        sendControl(TYPE_SOCKET_SHUTDOWN, id);
    }

    void sendReset(final int id)
    {
        sendControl(TYPE_SOCKET_RESET, id);
    }

    /**
     * Claim a message of the NVMe/TCP offload family for a socket; the caller writes the body at the returned offset
     * of {@link #linkMemory()}.
     *
     * @return the body's offset, or -1 when the link has no room now.
     */
    long claimUlp(final int type, final int id, final int length)
    {
        return claim(type, id, length);
    }

    MemorySegment linkMemory()
    {
        return linkMemory;
    }

    /**
     * During a ULP message's delivery: keep its frame past the delivery ({@link XtsLink#retainDelivering()}).
     *
     * @return the frame's handle, or -1 when the link keeps as many as it allows.
     */
    long retainDelivering()
    {
        return link.retainDelivering();
    }

    /**
     * Give back a frame {@link #retainDelivering()} kept; nothing once close() has freed the link.
     *
     * @param frame its handle.
     */
    void releaseRetained(final long frame)
    {
        if (!released)
        {
            link.releaseRetained(frame);
        }
    }

    long claimData(final int id, final int length)
    {
        return claim(TYPE_SOCKET_DATA, id, length);
    }

    /**
     * Take a TX frame for one DATA message the app fills outside the lock (see {@link XtsLink#claimFrame()}).
     *
     * @return the frame, or -1 (counted as a link stall).
     */
    long claimFrame()
    {
        final long frame = released ? -1 : link.claimFrame();
        if (frame < 0)
        {
            counters.linkStalls.incrementRelease();
        }
        return frame;
    }

    /**
     * Send a claimed frame as one DATA message of the socket.
     *
     * @return false when the link has no room for it now (credit or window): try again after progress.
     */
    boolean commitFrame(final long frame, final int id, final int length)
    {
        if (released)
        {
            return true;
        }
        if (!link.commitFrame(frame, TYPE_SOCKET_DATA, id, length))
        {
            counters.linkStalls.incrementRelease();
            return false;
        }
        return true;
    }

    /**
     * Give back a claimed frame unsent.
     */
    void abortFrame(final long frame)
    {
        if (!released)
        {
            link.abortFrame(frame);
        }
    }

    /**
     * @return a ByteBuffer over the link memory of the caller's own (its position and limit are the caller's), or
     *         null when the memory is too large for one ByteBuffer.
     */
    ByteBuffer newLinkView()
    {
        return null == linkView ? null : linkView.duplicate();
    }

    /**
     * @return the stack's ByteBuffer over the link memory, for absolute bulk copies under the lock; null when the
     *         memory is too large for one.
     */
    ByteBuffer linkView()
    {
        return linkView;
    }

    String name()
    {
        return name;
    }

    boolean hasPoller()
    {
        return ownPoller;
    }

    /** One duty cycle by the calling thread, which holds the lock (selectors without a poller thread). */
    int cycleLocked()
    {
        return cycle(System.nanoTime());
    }

    /** As {@link #cycleLocked()}, maybe deferring the acknowledgement ({@link #cycle(long, boolean)}). */
    int cycleLocked(final boolean deferAcks)
    {
        return cycle(System.nanoTime(), deferAcks);
    }
}
