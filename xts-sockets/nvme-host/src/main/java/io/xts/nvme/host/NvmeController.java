package io.xts.nvme.host;

import io.xts.nvme.ConnectData;
import io.xts.nvme.IdentifyController;
import io.xts.nvme.IdentifyNamespace;
import io.xts.nvme.NvmeTcp;
import io.xts.sockets.XtsStack;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An NVMe over TCP controller as a host sees it: the admin queue and the I/O queues, brought up by {@link #connect} the
 * way Linux does it (NVMe/TCP transport specification, connection set-up): admin TCP connection, ICReq/ICResp, Fabrics
 * Connect QID 0 (CNTLID FFFFh) giving the CNTLID, Property Get CAP and VS, Property Set CC (EN, IOSQES 6, IOCQES 4),
 * polling CSTS.RDY, Identify Controller and Namespace 1, Set Features Number of Queues, then one TCP connection per I/O
 * queue with its own ICReq and Connect (QID, SQSIZE, CNTLID). Keep Alive goes out on the admin queue every KATO/2 on a
 * timer. Every command carries PSDT 01b and one SGL descriptor (in-capsule 01h or transport 5Ah), as the Linux target
 * requires.
 */
public final class NvmeController implements AutoCloseable
{
    /** The host UUID NQN prefix. */
    public static final String UUID_NQN_PREFIX = "nqn.2014-08.org.nvmexpress:uuid:";
    /** Admin queue depth (Linux NVME_AQ_DEPTH). */
    public static final int ADMIN_DEPTH = 32;
    /** Most I/O commands in flight per queue this host supports. */
    public static final int MAX_QUEUE_DEPTH = 128;

    /** Where the PDUs are framed, digested and placed. */
    public enum Transport
    {
        /** Kernel TCP on the application host; this library frames PDUs and computes digests itself. */
        SOFTWARE,
        /**
         * Through the XTS proxy ({@link Builder#stack}): after ICResp each I/O queue pushes its framing to the proxy,
         * which delineates PDUs, checks and computes digests and has read data placed into the command buffers; if
         * the proxy refuses, the queue carries on in software over the XTS socket.
         */
        OFFLOAD
    }

    /** How I/O completions are delivered. */
    public enum CompletionMode
    {
        /** A reader thread per I/O queue runs the receive loop; handlers and futures complete on it. */
        THREAD,
        /** No thread: the application calls {@link NvmeQueue#poll()}, which runs completions on its thread. */
        POLL
    }

    private static final System.Logger LOG = System.getLogger(NvmeController.class.getName());
    private static final long CC_VALUE = 1 | (6 << 16) | (4 << 20);

    private final Builder config;
    private final Map<Long, Namespace> namespaces = new ConcurrentHashMap<>();
    private final TcpQueue admin;
    private final List<NvmeQueue> ioQueues = new ArrayList<>();
    private final Arena arena = Arena.ofShared();
    private final MemorySegment identifyBuffer = arena.allocate(NvmeTcp.IDENTIFY_DATA_LENGTH, 4096);
    private final ScheduledExecutorService keepAliveTimer;
    private final AtomicLong keepAlivesSent = new AtomicLong();
    private final AtomicLong keepAliveFailures = new AtomicLong();
    private final int cntlid;
    private final long cap;
    private final int version;
    private final String serialNumber;
    private final String modelNumber;
    private final String firmwareRevision;
    private final long ioInCapsuleLimit;
    private final long maxTransfer;
    private final int ioQueuesGranted;
    private volatile boolean closed;

    private NvmeController(final Builder b)
    {
        this.config = b;
        final long timeout = b.timeout.toNanos();
        final XtsStack stack = Transport.OFFLOAD == b.transport ? b.stack : null;
        // The admin queue goes through the proxy too, framed here (nothing on it is worth offloading).
        admin = new TcpQueue(QueueConfig.builder().address(b.address).qid(0).depth(ADMIN_DEPTH)
            .digests(b.headerDigest, b.dataDigest).inCapsuleLimit(NvmeTcp.ADMIN_IN_CAPSULE_MAX).polled(false)
            .timeoutNanos(timeout).namespaces(namespaces).xts(stack, -1).build());
        ScheduledExecutorService timer = null;
        try
        {
            // Fabrics Connect, admin queue: SQSIZE 31, KATO, CNTLID FFFFh.
            cntlid = connect(admin, 0, ADMIN_DEPTH - 1, b.keepAliveTimeout.toMillis(), NvmeTcp.CNTLID_DYNAMIC);
            cap = admin.execute("Property Get CAP",
                (sqe, cid) -> sqe.writePropertyGet(cid, NvmeTcp.PROP_CAP, true), null, 0, false);
            version = (int)admin.execute("Property Get VS",
                (sqe, cid) -> sqe.writePropertyGet(cid, NvmeTcp.PROP_VS, false), null, 0, false);
            admin.execute("Property Set CC",
                (sqe, cid) -> sqe.writePropertySet(cid, NvmeTcp.PROP_CC, false, CC_VALUE), null, 0, false);
            waitReady();

            final IdentifyController ic = new IdentifyController().wrap(identifyBuffer, 0);
            admin.execute("Identify Controller",
                (sqe, cid) -> sqe.writeIdentify(cid, NvmeTcp.CNS_CONTROLLER, 0, 0),
                identifyBuffer, NvmeTcp.IDENTIFY_DATA_LENGTH, false);
            if (ic.cntlid() != cntlid)
            {
                throw new NvmeException(NvmeStatus.QUEUE_FAILED,
                    "Identify Controller CNTLID " + ic.cntlid() + " differs from the Connect's " + cntlid);
            }
            if (0 != ic.icdoff())
            {
                throw new NvmeException(NvmeStatus.QUEUE_FAILED,
                    "ICDOFF " + ic.icdoff() + " not supported (must be 0)");
            }
            if (ic.ioccsz() < 4)
            {
                throw new NvmeException(NvmeStatus.QUEUE_FAILED, "IOCCSZ " + ic.ioccsz() + " below 4");
            }
            serialNumber = ic.serialNumber();
            modelNumber = ic.modelNumber();
            firmwareRevision = ic.firmwareRevision();
            ioInCapsuleLimit = ic.inCapsuleDataLimit();
            final int mpsMin = (int)((cap >>> 48) & 0xF);
            maxTransfer = 0 == ic.mdts() ? 0 : (1L << ic.mdts()) << (12 + mpsMin);
            final int maxcmd = ic.maxcmd();

            identify(1);

            final int queues = b.ioQueues;
            if (queues > 0)
            {
                final int want = (queues - 1) | (queues - 1) << 16;
                final long granted = admin.execute("Set Features Number of Queues",
                    (sqe, cid) -> sqe.writeSetFeatures(cid, NvmeTcp.FID_NUMBER_OF_QUEUES, want), null, 0, false);
                final int nsqa = (int)(granted & 0xFFFF) + 1;
                final int ncqa = (int)((granted >>> 16) & 0xFFFF) + 1;
                ioQueuesGranted = Math.min(queues, Math.min(nsqa, ncqa));
            }
            else
            {
                ioQueuesGranted = 0;
            }

            int depth = Math.min(b.queueDepth, (int)(cap & 0xFFFF) + 1);
            if (maxcmd > 0)
            {
                depth = Math.min(depth, maxcmd);
            }
            for (int qid = 1; qid <= ioQueuesGranted; qid++)
            {
                final TcpQueue q = new TcpQueue(QueueConfig.builder().address(b.address).qid(qid).depth(depth)
                    .digests(b.headerDigest, b.dataDigest).inCapsuleLimit(ioInCapsuleLimit)
                    .polled(CompletionMode.POLL == b.completionMode).timeoutNanos(timeout).namespaces(namespaces)
                    .maxTransfer(maxTransfer).xts(stack, b.ulpPushAfter).scatterWindow(b.scatterWindow).build());
                ioQueues.add(q);
                connect(q, qid, depth - 1, 0, cntlid);
            }

            if (null != stack && !ioQueues.isEmpty())
            {
                admin.driveInBackground();
            }

            if (!b.keepAliveTimeout.isZero())
            {
                timer = Executors.newSingleThreadScheduledExecutor(r ->
                    Thread.ofPlatform().daemon().name("nvme-tcp keep-alive " + b.address).unstarted(r));
                final long period = Math.max(1, b.keepAliveTimeout.toMillis() / 2);
                timer.scheduleAtFixedRate(this::keepAlive, period, period, TimeUnit.MILLISECONDS);
            }
            keepAliveTimer = timer;
        }
        catch (final RuntimeException e)
        {
            if (null != timer)
            {
                timer.shutdownNow();
            }
            ioQueues.forEach(NvmeQueue::close);
            admin.close();
            arena.close();
            throw e;
        }
    }

    private int connect(final TcpQueue q, final int qid, final int sqsize, final long katoMs, final int cntlidIn)
    {
        try (Arena local = Arena.ofConfined())
        {
            final MemorySegment data = local.allocate(ConnectData.LENGTH, 8);
            new ConnectData().wrap(data, 0).write(config.hostId, cntlidIn, config.subsystemNqn, config.hostNqn);
            final long result = q.execute("Connect QID " + qid,
                (sqe, cid) -> sqe.writeConnect(cid, qid, sqsize, config.connectAttributes, katoMs),
                data, ConnectData.LENGTH, true);
            return (int)(result & 0xFFFF);
        }
    }

    private void waitReady()
    {
        final long toMs = Math.max(500, ((cap >>> 24) & 0xFF) * 500);
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(toMs);
        while (true)
        {
            final long csts = admin.execute("Property Get CSTS",
                (sqe, cid) -> sqe.writePropertyGet(cid, NvmeTcp.PROP_CSTS, false), null, 0, false);
            if (0 != (csts & 2))
            {
                throw new NvmeException(NvmeStatus.QUEUE_FAILED, "controller fatal status (CSTS.CFS) after enabling");
            }
            if (0 != (csts & 1))
            {
                return;
            }
            if (System.nanoTime() - deadline > 0)
            {
                throw new NvmeException(NvmeStatus.TIMEOUT, "CSTS.RDY not set within CAP.TO " + toMs + " ms");
            }
            try
            {
                Thread.sleep(10);
            }
            catch (final InterruptedException e)
            {
                Thread.currentThread().interrupt();
                throw new NvmeException(NvmeStatus.TIMEOUT, "interrupted waiting for CSTS.RDY");
            }
        }
    }

    private Namespace identify(final long nsid)
    {
        synchronized (identifyBuffer)
        {
            admin.execute("Identify Namespace " + nsid,
                (sqe, cid) -> sqe.writeIdentify(cid, NvmeTcp.CNS_NAMESPACE, nsid, 0),
                identifyBuffer, NvmeTcp.IDENTIFY_DATA_LENGTH, false);
            final IdentifyNamespace id = new IdentifyNamespace().wrap(identifyBuffer, 0);
            if (0 == id.nsze())
            {
                throw new NvmeException(NvmeStatus.of(0, NvmeTcp.SC_INVALID_NAMESPACE),
                    "namespace " + nsid + " is not active (NSZE 0)");
            }
            final Namespace ns = new Namespace(nsid, (int)id.blockSize(), id.nsze());
            namespaces.put(nsid, ns);
            return ns;
        }
    }

    private void keepAlive()
    {
        if (closed || null != admin.failure())
        {
            return;
        }
        final boolean sent = admin.submit((sqe, cid) -> sqe.writeKeepAlive(cid), null, 0, false,
            (status, result, attachment) ->
            {
                if (!NvmeStatus.isSuccess(status) && !closed)
                {
                    keepAliveFailures.incrementAndGet();
                    LOG.log(System.Logger.Level.WARNING, "Keep Alive failed: {0}", NvmeStatus.describe(status));
                }
            }, null);
        if (sent)
        {
            keepAlivesSent.incrementAndGet();
        }
    }

    /** @return a builder. */
    public static Builder builder()
    {
        return new Builder();
    }

    /** @return the controller id the admin Connect returned. */
    public int cntlid()
    {
        return cntlid;
    }

    /** @return the CAP property. */
    public long cap()
    {
        return cap;
    }

    /** @return the VS property. */
    public int version()
    {
        return version;
    }

    /** @return the serial number (Identify Controller). */
    public String serialNumber()
    {
        return serialNumber;
    }

    /** @return the model number. */
    public String modelNumber()
    {
        return modelNumber;
    }

    /** @return the firmware revision. */
    public String firmwareRevision()
    {
        return firmwareRevision;
    }

    /** @return bytes of write data sent in the capsule on I/O queues (IOCCSZ x 16 - 64, capped). */
    public long ioInCapsuleLimit()
    {
        return Math.min(ioInCapsuleLimit, TcpQueue.IN_CAPSULE_CAP);
    }

    /** @return most bytes one command may transfer (MDTS), 0 for no limit. */
    public long maxTransfer()
    {
        return maxTransfer;
    }

    /** @return the I/O queues, qid 1.. in order. */
    public List<NvmeQueue> ioQueues()
    {
        return Collections.unmodifiableList(ioQueues);
    }

    /**
     * @param index 0-based.
     * @return an I/O queue.
     */
    public NvmeQueue ioQueue(final int index)
    {
        return ioQueues.get(index);
    }

    /**
     * @param nsid a namespace.
     * @return what Identify Namespace said, identified now if not yet (an admin command).
     */
    public Namespace namespace(final long nsid)
    {
        final Namespace ns = namespaces.get(nsid);
        return null != ns ? ns : identify(nsid);
    }

    /** @return Keep Alive commands sent. */
    public long keepAlivesSent()
    {
        return keepAlivesSent.get();
    }

    /** @return Keep Alive commands that failed. */
    public long keepAliveFailures()
    {
        return keepAliveFailures.get();
    }

    /** @return null while the admin queue works, else why it failed. */
    public NvmeException adminFailure()
    {
        return admin.failure();
    }

    /**
     * Shut down: stop Keep Alive, close the I/O queues, ask for a normal shutdown (CC.SHN 01b, best effort), close
     * the admin queue.
     */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        if (null != keepAliveTimer)
        {
            keepAliveTimer.shutdownNow();
        }
        ioQueues.forEach(NvmeQueue::close);
        if (null == admin.failure())
        {
            try
            {
                admin.execute("Property Set CC (shutdown)",
                    (sqe, cid) -> sqe.writePropertySet(cid, NvmeTcp.PROP_CC, false, CC_VALUE | 1 << 14), null, 0,
                    false);
            }
            catch (final NvmeException e)
            {
                LOG.log(System.Logger.Level.DEBUG, "shutdown notification failed: {0}", e.getMessage());
            }
        }
        admin.close();
        arena.close();
    }

    /** What to connect to and how. */
    public static final class Builder
    {
        private InetSocketAddress address;
        private String subsystemNqn;
        private UUID hostId = UUID.randomUUID();
        private String hostNqn;
        private boolean headerDigest;
        private boolean dataDigest;
        private int ioQueues = 1;
        private int queueDepth = MAX_QUEUE_DEPTH;
        private Duration keepAliveTimeout = Duration.ofSeconds(5);
        private Duration timeout = Duration.ofSeconds(10);
        private Transport transport = Transport.SOFTWARE;
        private XtsStack stack;
        private int ulpPushAfter;
        private long scatterWindow;
        private CompletionMode completionMode = CompletionMode.THREAD;
        private int connectAttributes;

        private Builder()
        {
        }

        /**
         * @param address the controller's address (port 4420 normally).
         * @return this.
         */
        public Builder address(final InetSocketAddress address)
        {
            this.address = Objects.requireNonNull(address, "address");
            return this;
        }

        /**
         * @param nqn the subsystem NQN.
         * @return this.
         */
        public Builder subsystemNqn(final String nqn)
        {
            this.subsystemNqn = checkNqn(nqn);
            return this;
        }

        /**
         * @param nqn the host NQN (default {@code nqn.2014-08.org.nvmexpress:uuid:<host id>}).
         * @return this.
         */
        public Builder hostNqn(final String nqn)
        {
            this.hostNqn = checkNqn(nqn);
            return this;
        }

        /**
         * @param id the host identifier (default a random UUID).
         * @return this.
         */
        public Builder hostId(final UUID id)
        {
            this.hostId = Objects.requireNonNull(id, "hostId");
            return this;
        }

        /**
         * @param on whether to use header digests (HDGST).
         * @return this.
         */
        public Builder headerDigest(final boolean on)
        {
            this.headerDigest = on;
            return this;
        }

        /**
         * @param on whether to use data digests (DDGST).
         * @return this.
         */
        public Builder dataDigest(final boolean on)
        {
            this.dataDigest = on;
            return this;
        }

        /**
         * @param n I/O queues to ask for (the controller may grant fewer), 0..65535.
         * @return this.
         */
        public Builder ioQueues(final int n)
        {
            if (n < 0 || n > 0xFFFF)
            {
                throw new IllegalArgumentException("I/O queues " + n);
            }
            this.ioQueues = n;
            return this;
        }

        /**
         * @param depth commands in flight per I/O queue, 1..128 (SQSIZE = depth - 1; capped by CAP.MQES, MAXCMD).
         * @return this.
         */
        public Builder queueDepth(final int depth)
        {
            if (depth < 1 || depth > MAX_QUEUE_DEPTH)
            {
                throw new IllegalArgumentException("queue depth " + depth + " outside 1.." + MAX_QUEUE_DEPTH);
            }
            this.queueDepth = depth;
            return this;
        }

        /**
         * @param kato the keep-alive timeout sent in the admin Connect (KATO); Keep Alive goes out every KATO/2.
         *             Zero disables keep alive. Default 5 s (Linux's default).
         * @return this.
         */
        public Builder keepAliveTimeout(final Duration kato)
        {
            if (kato.isNegative() || kato.toMillis() > 0xFFFF_FFFFL)
            {
                throw new IllegalArgumentException("KATO " + kato);
            }
            this.keepAliveTimeout = kato;
            return this;
        }

        /**
         * @param timeout time allowed for connecting, ICResp and each set-up command.
         * @return this.
         */
        public Builder timeout(final Duration timeout)
        {
            this.timeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /**
         * @param stack the XTS stack whose sockets carry the queues (required for {@link Transport#OFFLOAD}; the
         *              caller keeps and closes it).
         * @return this.
         */
        public Builder stack(final XtsStack stack)
        {
            this.stack = Objects.requireNonNull(stack, "stack");
            return this;
        }

        /**
         * For tests of resynchronisation: each I/O queue starts with software framing and pushes the ULP to the proxy
         * only after this many commands completed, while more are in flight (0, the default: right after ICResp).
         *
         * @param commands completed commands before the push.
         * @return this.
         */
        public Builder ulpPushAfter(final int commands)
        {
            if (commands < 0)
            {
                throw new IllegalArgumentException("ulpPushAfter " + commands);
            }
            this.ulpPushAfter = commands;
            return this;
        }

        /**
         * @param bytes scatter-read data each I/O queue holds at most, in flight and in unreleased lists
         *              ({@link NvmeQueue#scatterWindow()}); 0 (the default): half the XTS stack's receive window with
         *              the offload transport, 4 MiB of bounce memory with the software transport. Through the proxy
         *              it must stay below the receive window, since held bytes are credited back only on release.
         * @return this.
         */
        public Builder scatterWindow(final long bytes)
        {
            if (bytes < 0)
            {
                throw new IllegalArgumentException("scatter window " + bytes);
            }
            this.scatterWindow = bytes;
            return this;
        }

        /**
         * @param transport where framing happens.
         * @return this.
         */
        public Builder transport(final Transport transport)
        {
            this.transport = Objects.requireNonNull(transport, "transport");
            return this;
        }

        /**
         * @param mode how I/O completions are delivered (the admin queue always has its reader thread).
         * @return this.
         */
        public Builder completionMode(final CompletionMode mode)
        {
            this.completionMode = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /**
         * @param disabled whether to ask for SQ flow control to be disabled (Connect CATTR bit 2), which lets a
         *                 controller end reads with C2HData SUCCESS instead of a CapsuleResp.
         * @return this.
         */
        public Builder sqFlowControlDisabled(final boolean disabled)
        {
            this.connectAttributes = disabled ? NvmeTcp.CATTR_SQ_FLOW_CONTROL_DISABLED : 0;
            return this;
        }

        /**
         * Connect and bring the controller up.
         *
         * @return the controller, ready for I/O.
         * @throws NvmeException naming the step that failed.
         */
        public NvmeController connect()
        {
            Objects.requireNonNull(address, "address");
            Objects.requireNonNull(subsystemNqn, "subsystemNqn");
            if (Transport.OFFLOAD == transport && null == stack)
            {
                throw new IllegalStateException("transport OFFLOAD needs the XTS stack: Builder.stack(XtsStack)");
            }
            if (null == hostNqn)
            {
                hostNqn = UUID_NQN_PREFIX + hostId;
            }
            return new NvmeController(this);
        }

        private static String checkNqn(final String nqn)
        {
            if (nqn.isEmpty() || nqn.length() > 223)
            {
                throw new IllegalArgumentException("NQN of " + nqn.length() + " characters (1..223)");
            }
            return nqn;
        }
    }
}
