package io.xts.nvme.host;

import io.xts.nvme.C2HDataPdu;
import io.xts.nvme.CapsuleCmdPdu;
import io.xts.nvme.Cqe;
import io.xts.nvme.Crc32c;
import io.xts.nvme.H2CDataPdu;
import io.xts.nvme.ICReqPdu;
import io.xts.nvme.ICRespPdu;
import io.xts.nvme.NvmeTcp;
import io.xts.nvme.PduError;
import io.xts.nvme.PduFlyweight;
import io.xts.nvme.PduHandler;
import io.xts.nvme.PduHeader;
import io.xts.nvme.PduParser;
import io.xts.nvme.R2TPdu;
import io.xts.nvme.Sqe;
import io.xts.nvme.TermReqPdu;
import io.xts.sockets.XtsSocket;
import io.xts.sockets.XtsStack;
import org.agrona.concurrent.IdleStrategy;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.ScatteringByteChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

import static io.xts.nvme.host.Command.ACTIVE;
import static io.xts.nvme.host.Command.COMPLETING;
import static io.xts.nvme.host.Command.FREE;
import static io.xts.nvme.host.Command.HELD;
import static io.xts.nvme.NvmeTcp.TYPE_C2H_DATA;
import static io.xts.nvme.NvmeTcp.TYPE_C2H_TERM_REQ;
import static io.xts.nvme.NvmeTcp.TYPE_CAPSULE_RESP;
import static io.xts.nvme.NvmeTcp.TYPE_IC_RESP;
import static io.xts.nvme.NvmeTcp.TYPE_R2T;

/**
 * One NVMe/TCP queue: its own TCP connection (kernel TCP for the software transport, an XTS socket through the proxy
 * for the offload transport), ICReq/ICResp, then capsules. Used for the admin queue (by {@link NvmeController}) and
 * for I/O queues; opened with a {@link QueueConfig}. The offload receive path (ULP messages from the proxy) is
 * {@link OffloadReceiver}'s.
 * <p>
 * Receive: one loop ({@link #receive}) reads the non-blocking channel into one direct buffer and feeds a
 * {@link PduParser}, which delineates PDUs and checks headers and digests; this class, its {@link PduHandler}, looks
 * commands up by CID, places C2HData into the command's buffer at DATAO (any interleaving across commands), answers
 * R2Ts with H2CData and completes commands. Over kernel TCP, a C2HData payload of {@link #DIRECT_READ_MIN} bytes or
 * more is read from the socket straight into the command's buffer (the one copy is the kernel's, the data digest is
 * computed over the buffer with the JDK's CRC32C): while reads that long are outstanding, reads into the receive
 * buffer stop at the end of the next PDU header, so no payload lands there first. Smaller payloads come through the
 * receive buffer and are copied once from it (the system call a direct read adds costs more than that copy); with
 * commands outstanding but no large read, reads into the receive buffer take whatever is there, many PDUs at a time.
 * In THREAD mode a dedicated reader thread per queue runs that loop
 * over a blocking channel (a blocking read costs nothing while idle, needs no selector and keeps the completion
 * latency of one wake-up); in POLL mode the channel is non-blocking and the application's thread runs it through
 * {@link #poll()}, so there is no thread at all (run to completion, as the rest of XTS-J).
 * <p>
 * Send: submitters (any thread) and the receive loop (H2CData) assemble each PDU in one direct send buffer under a
 * lock and write it out; data is copied once into that buffer, where the data digest is computed. Command state lives
 * in preallocated slots indexed by the low bits of the CID (a 4-bit generation in bits 15:12 catches stale CIDs); the
 * data path allocates nothing except the futures of the convenience methods.
 */
final class TcpQueue implements NvmeQueue, PduHandler
{
    /** Fills the SQE of an administrative command. */
    @FunctionalInterface
    interface SqeWriter
    {
        void write(Sqe sqe, int cid);
    }

    private static final System.Logger LOG = System.getLogger(TcpQueue.class.getName());
    private static final int KIND_ADMIN = 0;
    private static final int KIND_READ = 1;
    private static final int KIND_WRITE = 2;
    private static final int RECEIVE_BUFFER = 256 * 1024;
    /** Largest DATA of one H2CData PDU we assemble (further capped by MAXH2CDATA). */
    static final int H2C_CHUNK = 128 * 1024;
    /** Largest in-capsule data we send, whatever IOCCSZ allows. */
    static final int IN_CAPSULE_CAP = 128 * 1024;
    private static final int HEADROOM = 256;
    /** Longest PDU header with its digest (a C2HTermReq with 128 bytes of data is longer, but not a header). */
    private static final int LONGEST_HEADER = 160;
    /** Scatter window of a queue over kernel TCP unless configured: it bounds the bounce memory. */
    static final long SOFTWARE_SCATTER_WINDOW = 4L << 20;
    /**
     * Over kernel TCP, C2HData payloads of at least this many bytes are read straight from the socket into the
     * command's buffer (property {@code xts.nvme.directReadMin}; 16 KiB by default, where one more system call per PDU
     * costs about what copying the payload would).
     */
    static final int DIRECT_READ_MIN = Integer.getInteger("xts.nvme.directReadMin", 16 * 1024);
    /** CH + PSH of every controller-to-host PDU after ICResp (CapsuleResp, C2HData, R2T, C2HTermReq). */
    private static final int C2H_HEADER = 24;

    private final String name;
    private final int qid;
    private final int depth;
    private final boolean polled;
    private final long timeoutNanos;
    private final Map<Long, Namespace> namespaces;
    private final long maxTransfer;
    /** Kernel TCP (software transport) or the XTS socket (offload transport). */
    private final ByteChannel channel;
    /** The XTS socket when the queue goes through the proxy, else null. */
    private final XtsSocket xts;
    private final XtsStack stack;
    /** The offload receive path and the ULP listener; null for the software transport. */
    private final OffloadReceiver offload;
    private final Command[] commands;
    private final int[] free;
    private int freeTop;
    private final Object freeLock = new Object();
    private final AtomicInteger inFlight = new AtomicInteger();

    // Scatter reads: the window (admission under admissionLock), reads waiting for it (FIFO of slots), bounce memory.
    private final long scatterWindow;
    private final Object admissionLock = new Object();
    private long scatterReserved;
    private final int[] deferred;
    private int deferredHead;
    private int deferredCount;
    private final BounceMemory bounce;
    /** Read data copied in user space on this host (receive loop and ULP listener). */
    private final AtomicLong copiedBytes = new AtomicLong();
    /** Scatter-read data handed over in the link frames it arrived in (ULP listener). */
    private final AtomicLong inPlaceBytes = new AtomicLong();
    /** Outstanding buffer reads over kernel TCP that take large payloads straight from the socket. */
    private final AtomicInteger directReads = new AtomicInteger();
    /** Receive loop: whether the latest C2HData payload was of {@link #DIRECT_READ_MIN} bytes or more. */
    private boolean largeC2h = true;

    // Send side, under sendLock.
    private final ReentrantLock sendLock = new ReentrantLock();
    private final ByteBuffer sendBuffer;
    private final MemorySegment sendSegment;
    private final Crc32c sendCrc = new Crc32c();
    private final CapsuleCmdPdu capsule = new CapsuleCmdPdu();
    private final H2CDataPdu h2c = new H2CDataPdu();
    private final TermReqPdu termReq = new TermReqPdu();

    // Receive side, one thread at a time (receiveLock).
    private final ReentrantLock receiveLock = new ReentrantLock();
    private final ByteBuffer receiveBuffer = ByteBuffer.allocateDirect(RECEIVE_BUFFER);
    private final MemorySegment receiveSegment = MemorySegment.ofBuffer(receiveBuffer);
    /** A direct read's buffers: the command's buffer view, then the receive buffer for the trailer. */
    private final ByteBuffer[] directBuffers = {null, receiveBuffer};
    private final PduParser parser;
    private boolean inReceive;
    private Command dataCommand;
    private long dataBase;
    private Command r2tCommand;
    private int r2tTag;
    private long r2tOffset;
    private long r2tLength;
    private int completedInReceive;
    private long dataDigestErrors;
    /** Bytes of the host-to-controller stream written (PDU boundaries under sendLock). */
    private long h2cBytes;
    /** Stream offset just past the last complete controller-to-host PDU the parser consumed. */
    private long lastBoundary;
    /** Stream offsets of the latest PDU headers the parser saw (answers resync requests about the past). */
    private final long[] recentStarts = new long[64];
    private int recentNext;
    /** DATA bytes read from the XTS socket (what event stamps are compared with). */
    private long dataConsumed;
    private int completedTotal;
    /**
     * Set on the admin queue once I/O queues exist: their readers (or the application's polls) drive the XTS stack,
     * so this reader only polls it now and then (a keep-alive must not depend on I/O traffic) instead of competing
     * for the stack with a busy reader.
     */
    private volatile boolean backgroundDriver;

    // Negotiated by ICReq/ICResp.
    private final boolean headerDigest;
    private final boolean dataDigest;
    private int cpda;
    private long maxH2cData;
    private long inCapsuleLimit;
    private boolean icDone;

    private final Object failLock = new Object();
    private volatile NvmeException failure;
    private volatile boolean closed;
    private Thread reader;
    private final FutureAdapter futures = new FutureAdapter();

    /**
     * Connect and initialize: TCP connect (kernel TCP, or an XTS socket through the proxy when the config names a
     * stack), ICReq, ICResp checked, and the ULP pushed when the config says so; the Fabrics Connect is the caller's.
     *
     * @param config what to open.
     * @throws NvmeException naming the step that failed.
     */
    TcpQueue(final QueueConfig config)
    {
        final InetSocketAddress address = config.address();
        final int depth = config.depth();
        this.name = "nvme-tcp q" + config.qid() + " " + address;
        this.qid = config.qid();
        this.depth = depth;
        this.polled = config.polled();
        this.timeoutNanos = config.timeoutNanos();
        this.namespaces = config.namespaces();
        this.maxTransfer = config.maxTransfer();
        this.headerDigest = config.headerDigest();
        this.dataDigest = config.dataDigest();
        this.inCapsuleLimit = Math.min(config.inCapsuleLimit(), IN_CAPSULE_CAP);
        this.commands = new Command[depth];
        this.free = new int[depth];
        for (int i = 0; i < depth; i++)
        {
            commands[i] = new Command(i);
            free[i] = depth - 1 - i;
        }
        freeTop = depth;
        this.scatterWindow = config.scatterWindow() > 0 ? config.scatterWindow() :
            defaultScatterWindow(config.stack());
        if (null != config.stack() && scatterWindow > config.stack().receiveWindow() * 3L / 4)
        {
            // Held bytes are credited back only on release: the rest of the window must keep the stream moving.
            throw new IllegalArgumentException("scatter window of " + scatterWindow + " bytes beyond 3/4 of the " +
                "XTS receive window of " + config.stack().receiveWindow() + " bytes");
        }
        this.deferred = new int[depth];
        this.bounce = new BounceMemory(scatterWindow, depth);
        sendBuffer = ByteBuffer.allocateDirect(HEADROOM + (int)Math.max(this.inCapsuleLimit, H2C_CHUNK) + 8);
        sendSegment = MemorySegment.ofBuffer(sendBuffer);
        capsule.wrap(sendSegment, 0);
        h2c.wrap(sendSegment, 0);
        termReq.wrap(sendSegment, 0);
        parser = new PduParser(PduParser.Side.HOST, Integer.MAX_VALUE, this);
        final XtsStack stack = config.stack();
        this.stack = stack;

        ByteChannel ch = null;
        XtsSocket socket = null;
        try
        {
            if (null == stack)
            {
                final SocketChannel kernel = SocketChannel.open();
                ch = kernel;
                kernel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                kernel.socket().connect(address, (int)Math.max(1, TimeUnit.NANOSECONDS.toMillis(timeoutNanos)));
                this.offload = null;
            }
            else
            {
                socket = stack.openSocket();
                ch = socket;
                this.offload = new OffloadReceiver(this, socket, commands, stack.receiveWindow(),
                    config.ulpPushAfter());
                socket.setOption(StandardSocketOptions.TCP_NODELAY, true);
                socket.connect(address, Duration.ofNanos(timeoutNanos));
            }
            this.channel = ch;
            this.xts = socket;
            initialize();
        }
        catch (final IOException | RuntimeException e)
        {
            if (null != ch)
            {
                try
                {
                    ch.close();
                }
                catch (final IOException ignored)
                {
                    // Closing after a failure.
                }
            }
            if (e instanceof NvmeException ne)
            {
                throw ne;
            }
            throw new NvmeException(NvmeStatus.QUEUE_FAILED, name + ": connection set-up failed: " + e, e);
        }
    }

    private void initialize() throws IOException
    {
        // ICReq: HPDA 0, MAXR2T 0 (one R2T per command at a time), digests as configured (as Linux does).
        new ICReqPdu().wrap(sendSegment, 0).write(0, headerDigest, dataDigest, 0);
        sendBuffer.clear().limit(ICReqPdu.LENGTH);
        while (sendBuffer.hasRemaining())
        {
            channel.write(sendBuffer);
        }
        h2cBytes += ICReqPdu.LENGTH;
        // Read exactly the ICResp (nothing else may come before the Connect answer), bounded in time.
        final int timeoutMillis = (int)Math.max(1, TimeUnit.NANOSECONDS.toMillis(timeoutNanos));
        final InputStream in;
        if (null != xts)
        {
            xts.setSoTimeout(timeoutMillis);
            in = xts.getInputStream();
        }
        else
        {
            ((SocketChannel)channel).socket().setSoTimeout(timeoutMillis);
            in = ((SocketChannel)channel).socket().getInputStream();
        }
        final ByteBuffer one = ByteBuffer.allocateDirect(ICRespPdu.LENGTH);
        final byte[] bytes = new byte[ICRespPdu.LENGTH];
        int got = 0;
        try
        {
            while (got < bytes.length)
            {
                final int n = in.read(bytes, got, bytes.length - got);
                if (n < 0)
                {
                    throw new NvmeException(NvmeStatus.QUEUE_FAILED,
                        name + ": controller closed the connection before ICResp (" + got + " bytes received)");
                }
                got += n;
            }
        }
        catch (final SocketTimeoutException e)
        {
            throw new NvmeException(NvmeStatus.TIMEOUT, name + ": no ICResp within the timeout", e);
        }
        one.put(bytes).flip();
        final MemorySegment icSegment = MemorySegment.ofBuffer(one);
        parser.feed(icSegment, 0, ICRespPdu.LENGTH);
        if (parser.isFailed())
        {
            throw new NvmeException(NvmeStatus.QUEUE_FAILED, name + ": bad ICResp: " + parser.errorText());
        }
        if (!icDone)
        {
            throw new NvmeException(NvmeStatus.QUEUE_FAILED, name + ": no ICResp");
        }
        parser.digests(headerDigest, dataDigest).receivePda(0);
        lastBoundary = parser.position();
        dataConsumed = ICRespPdu.LENGTH;
        if (null != xts)
        {
            // Non-blocking in both modes: the receive loop also takes the ULP events, which a blocking read would
            // not wake up for.
            xts.setSoTimeout(0);
            xts.configureBlocking(false);
            xts.ulpListener(offload);
            if (!polled)
            {
                reader = Thread.ofPlatform().daemon().name(name + " reader").start(() -> runReader(this::offloadLoop));
            }
            if (0 == offload.pushAfter && qid > 0)
            {
                pushUlp();
                awaitUlpResult();
            }
        }
        else if (polled)
        {
            ((SocketChannel)channel).configureBlocking(false);
        }
        else
        {
            // Blocking channel: the reader thread blocks in read; writers block until the kernel took the bytes.
            reader = Thread.ofPlatform().daemon().name(name + " reader").start(() -> runReader(this::readLoop));
        }
    }

    private void checkIcResp(final ICRespPdu ic)
    {
        if (0 != ic.pfv())
        {
            throw new NvmeException(NvmeStatus.QUEUE_FAILED, name + ": ICResp PFV " + ic.pfv() + ", expected 0");
        }
        if (ic.headerDigest() != headerDigest || ic.dataDigest() != dataDigest)
        {
            throw new NvmeException(NvmeStatus.QUEUE_FAILED, String.format(
                "%s: ICResp digests header %b data %b, asked for header %b data %b (must be echoed)", name,
                ic.headerDigest(), ic.dataDigest(), headerDigest, dataDigest));
        }
        final long max = ic.maxH2cData();
        if (max < NvmeTcp.MIN_MAXH2CDATA || 0 != (max & 3))
        {
            throw new NvmeException(NvmeStatus.QUEUE_FAILED,
                name + ": ICResp MAXH2CDATA " + max + ", expected a dword multiple of at least 4096");
        }
        cpda = ic.cpda();
        maxH2cData = max;
        icDone = true;
    }

    // ---- public API ----

    @Override
    public int qid()
    {
        return qid;
    }

    @Override
    public int depth()
    {
        return depth;
    }

    @Override
    public int inFlight()
    {
        return inFlight.get();
    }

    @Override
    public NvmeException failure()
    {
        return failure;
    }

    @Override
    public long dataDigestErrors()
    {
        return dataDigestErrors;
    }

    /** @return MAXH2CDATA from ICResp. */
    long maxH2cData()
    {
        return maxH2cData;
    }

    /** @return CPDA from ICResp. */
    int cpda()
    {
        return cpda;
    }

    /** @return bytes of write data sent in the capsule at most. */
    long inCapsuleLimit()
    {
        return inCapsuleLimit;
    }

    /** @return whether this queue is polled. */
    boolean isPolled()
    {
        return polled;
    }

    @Override
    public boolean read(final long nsid, final long lba, final int blocks, final MemorySegment dst,
        final long dstOffset, final CompletionHandler handler, final Object attachment)
    {
        final long length = transferLength(nsid, blocks, dst, dstOffset);
        return submit(KIND_READ, null, nsid, lba, blocks - 1, dst, dstOffset, length, false, handler, attachment);
    }

    @Override
    public boolean write(final long nsid, final long lba, final int blocks, final MemorySegment src,
        final long srcOffset, final CompletionHandler handler, final Object attachment)
    {
        final long length = transferLength(nsid, blocks, src, srcOffset);
        return submit(KIND_WRITE, null, nsid, lba, blocks - 1, src, srcOffset, length, true, handler, attachment);
    }

    @Override
    public CompletableFuture<Void> read(final long nsid, final long lba, final int blocks, final MemorySegment dst,
        final long dstOffset)
    {
        final CompletableFuture<Void> future = new CompletableFuture<>();
        if (!read(nsid, lba, blocks, dst, dstOffset, futures, future))
        {
            futures.onCompletion(NvmeStatus.QUEUE_FULL, 0, future);
        }
        return future;
    }

    @Override
    public boolean readScatter(final long nsid, final long lba, final int blocks, final ScatterReadHandler handler,
        final Object attachment)
    {
        if (null == handler)
        {
            throw new NullPointerException("handler");
        }
        final long length = transferLength(nsid, blocks);
        if (length > scatterWindow)
        {
            throw new IllegalArgumentException("scatter read of " + length + " bytes beyond the queue's scatter " +
                "window of " + scatterWindow + " bytes (NvmeController.Builder.scatterWindow; with the offload " +
                "transport at most half the XTS receive window by default)");
        }
        if (null != failure)
        {
            handler.onCompletion(closed ? NvmeStatus.QUEUE_CLOSED : NvmeStatus.QUEUE_FAILED, null, attachment);
            return true;
        }
        final Command cmd = acquire();
        if (null == cmd)
        {
            return false;
        }
        if (null == cmd.scatter)
        {
            cmd.scatter = new ScatterList(this, cmd);
        }
        cmd.scatter.open(length);
        prepare(cmd, null, 0, length, false, null, attachment);
        cmd.scatterRead = true;
        cmd.scatterHandler = handler;
        cmd.nsid = nsid;
        cmd.slba = lba;
        cmd.nlb = blocks - 1;
        inFlight.incrementAndGet();
        cmd.state.set(ACTIVE); // publishes the fields above to the receive loop and the ULP listener
        if (null != failure)
        {
            finish(cmd, closed ? NvmeStatus.QUEUE_CLOSED : NvmeStatus.QUEUE_FAILED, 0);
            return true;
        }
        synchronized (admissionLock)
        {
            if (deferredCount > 0 || scatterReserved + length > scatterWindow)
            {
                // Unreleased lists and reads in flight fill the window: this one goes out when some are released.
                deferred[(deferredHead + deferredCount) % depth] = cmd.slot;
                deferredCount++;
                return true;
            }
            scatterReserved += length;
            cmd.admitted = true;
        }
        send(cmd, KIND_READ, null);
        return true;
    }

    @Override
    public CompletableFuture<ScatterList> readScatter(final long nsid, final long lba, final int blocks)
    {
        final CompletableFuture<ScatterList> future = new CompletableFuture<>();
        final ScatterReadHandler h = (status, data, attachment) ->
        {
            if (NvmeStatus.isSuccess(status))
            {
                future.complete(data);
            }
            else
            {
                final String detail = NvmeStatus.QUEUE_FAILED == status || NvmeStatus.QUEUE_CLOSED == status ?
                    ": " + failureText() : "";
                future.completeExceptionally(new NvmeException(status, name + ": " + NvmeStatus.describe(status) +
                    detail));
            }
        };
        if (!readScatter(nsid, lba, blocks, h, null))
        {
            h.onCompletion(NvmeStatus.QUEUE_FULL, null, null);
        }
        return future;
    }

    @Override
    public long scatterWindow()
    {
        return scatterWindow;
    }

    /**
     * @param stack the XTS stack of the offload transport, or null.
     * @return half the socket receive window through the proxy (the bytes a scatter read holds are credited back only
     *         when its list is released, and the other half keeps the rest of the stream moving), else
     *         {@link #SOFTWARE_SCATTER_WINDOW}.
     */
    static long defaultScatterWindow(final XtsStack stack)
    {
        return null == stack ? SOFTWARE_SCATTER_WINDOW : stack.receiveWindow() / 2;
    }

    @Override
    public CompletableFuture<Void> write(final long nsid, final long lba, final int blocks, final MemorySegment src,
        final long srcOffset)
    {
        final CompletableFuture<Void> future = new CompletableFuture<>();
        if (!write(nsid, lba, blocks, src, srcOffset, futures, future))
        {
            futures.onCompletion(NvmeStatus.QUEUE_FULL, 0, future);
        }
        return future;
    }

    private long transferLength(final long nsid, final int blocks, final MemorySegment buffer, final long offset)
    {
        final long length = transferLength(nsid, blocks);
        if (offset < 0 || offset + length > buffer.byteSize())
        {
            throw new IndexOutOfBoundsException("buffer of " + buffer.byteSize() + " bytes cannot hold " + length +
                " bytes at " + offset);
        }
        return length;
    }

    private long transferLength(final long nsid, final int blocks)
    {
        final Namespace ns = namespaces.get(nsid);
        if (null == ns)
        {
            throw new IllegalArgumentException("namespace " + nsid + " not identified (NvmeController.namespace)");
        }
        if (blocks < 1 || blocks > 65536)
        {
            throw new IllegalArgumentException("blocks " + blocks + " outside 1..65536");
        }
        final long length = (long)blocks * ns.blockSize();
        if (maxTransfer > 0 && length > maxTransfer)
        {
            throw new IllegalArgumentException("transfer of " + length + " bytes beyond the controller's MDTS limit " +
                maxTransfer);
        }
        return length;
    }

    /**
     * Submit an administrative (or any) command whose SQE the writer fills, SGL included.
     *
     * @param writer       fills the SQE.
     * @param buffer       data buffer (null when none).
     * @param length       bytes of data.
     * @param toController data direction.
     * @param handler      completion.
     * @param attachment   passed back.
     * @return false when no CID is free.
     */
    boolean submit(final SqeWriter writer, final MemorySegment buffer, final long length,
        final boolean toController, final CompletionHandler handler, final Object attachment)
    {
        return submit(KIND_ADMIN, writer, 0, 0, 0, buffer, 0, length, toController, handler, attachment);
    }

    /**
     * Run a command and wait for it: in THREAD mode on the future, in POLL mode by polling on this thread.
     *
     * @return CQE DW1:DW0.
     * @throws NvmeException on an error status, failure or timeout.
     */
    long execute(final String what, final SqeWriter writer, final MemorySegment buffer, final long length,
        final boolean toController)
    {
        final CompletableFuture<Long> future = new CompletableFuture<>();
        final CompletionHandler h = (status, result, attachment) ->
        {
            if (NvmeStatus.isSuccess(status))
            {
                future.complete(result);
            }
            else
            {
                future.completeExceptionally(new NvmeException(status, name + ": " + what + " failed: " +
                    NvmeStatus.describe(status) + (NvmeStatus.QUEUE_FAILED == status ? ": " + failureText() : "")));
            }
        };
        if (!submit(writer, buffer, length, toController, h, null))
        {
            throw new NvmeException(NvmeStatus.QUEUE_FULL, name + ": " + what + ": no free command identifier");
        }
        return await(what, future);
    }

    <T> T await(final String what, final CompletableFuture<T> future)
    {
        final long deadline = System.nanoTime() + timeoutNanos;
        try
        {
            if (polled)
            {
                while (!future.isDone())
                {
                    if (0 == poll())
                    {
                        if (System.nanoTime() - deadline > 0)
                        {
                            throw new TimeoutException();
                        }
                        LockSupport.parkNanos(20_000);
                    }
                }
                return future.get();
            }
            return future.get(timeoutNanos, TimeUnit.NANOSECONDS);
        }
        catch (final ExecutionException e)
        {
            if (e.getCause() instanceof NvmeException ne)
            {
                throw ne;
            }
            throw new NvmeException(NvmeStatus.QUEUE_FAILED, name + ": " + what + ": " + e.getCause(), e.getCause());
        }
        catch (final TimeoutException e)
        {
            throw new NvmeException(NvmeStatus.TIMEOUT, name + ": " + what + ": no completion within " +
                TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms");
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
            throw new NvmeException(NvmeStatus.TIMEOUT, name + ": " + what + ": interrupted");
        }
    }

    private Command acquire()
    {
        synchronized (freeLock)
        {
            if (0 == freeTop)
            {
                return null;
            }
            return commands[free[--freeTop]];
        }
    }

    private void release(final Command cmd)
    {
        cmd.buffer = null;
        cmd.handler = null;
        cmd.scatterHandler = null;
        cmd.scatterRead = false;
        cmd.attachment = null;
        cmd.state.set(FREE);
        synchronized (freeLock)
        {
            free[freeTop++] = cmd.slot;
        }
    }

    private boolean submit(final int kind, final SqeWriter writer, final long nsid, final long slba, final int nlb,
        final MemorySegment buffer, final long offset, final long length, final boolean toController,
        final CompletionHandler handler, final Object attachment)
    {
        if (null == handler)
        {
            throw new NullPointerException("handler");
        }
        final NvmeException failed = failure;
        if (null != failed)
        {
            handler.onCompletion(closed ? NvmeStatus.QUEUE_CLOSED : NvmeStatus.QUEUE_FAILED, 0, attachment);
            return true;
        }
        final Command cmd = acquire();
        if (null == cmd)
        {
            return false;
        }
        prepare(cmd, buffer, offset, length, toController, handler, attachment);
        cmd.nsid = nsid;
        cmd.slba = slba;
        cmd.nlb = nlb;
        if (KIND_READ == kind && null == xts && length >= DIRECT_READ_MIN)
        {
            if (cmd.viewOf != buffer)
            {
                cmd.view = buffer.byteSize() <= Integer.MAX_VALUE && !buffer.isReadOnly() ? buffer.asByteBuffer() :
                    null;
                cmd.viewOf = buffer;
            }
            cmd.direct = null != cmd.view;
            if (cmd.direct)
            {
                directReads.incrementAndGet();
            }
        }
        inFlight.incrementAndGet();
        cmd.state.set(ACTIVE); // publishes the fields above to the receive loop
        if (null != failure)
        {
            finish(cmd, closed ? NvmeStatus.QUEUE_CLOSED : NvmeStatus.QUEUE_FAILED, 0);
            return true;
        }
        send(cmd, kind, writer);
        return true;
    }

    /** A new CID for the slot, and the command's fields. */
    private void prepare(final Command cmd, final MemorySegment buffer, final long offset, final long length,
        final boolean toController, final CompletionHandler handler, final Object attachment)
    {
        cmd.generation = (cmd.generation + 1) & 0xF;
        cmd.cid = cmd.generation << 12 | cmd.slot;
        cmd.buffer = buffer;
        cmd.bufferOffset = offset;
        cmd.length = length;
        cmd.toController = toController;
        cmd.inCapsule = toController && length > 0 && length <= inCapsuleLimit;
        cmd.c2hReceived = 0;
        cmd.h2cSent = 0;
        cmd.digestError = false;
        cmd.handler = handler;
        cmd.attachment = attachment;
    }

    /** Send a prepared command's capsule (DDP_SETUP first for a read the proxy will place). */
    private void send(final Command cmd, final int kind, final SqeWriter writer)
    {
        final int cid = cmd.cid;
        final long length = cmd.length;
        final boolean toController = cmd.toController;
        sendLock.lock();
        try
        {
            final boolean proxyDigests = null != offload && offload.active;
            if (proxyDigests && !toController && length > 0)
            {
                // Register the buffer before the command leaves; the link keeps the order, nobody waits for it.
                xts.sendDdpSetup(cid, length);
            }
            capsule.writeHeader(headerDigest, dataDigest, cpda, cmd.inCapsule ? length : 0);
            final Sqe sqe = capsule.sqe();
            switch (kind)
            {
                case KIND_READ -> sqe.writeRead(cid, cmd.nsid, cmd.slba, cmd.nlb, length);
                case KIND_WRITE -> sqe.writeWrite(cid, cmd.nsid, cmd.slba, cmd.nlb, length, cmd.inCapsule);
                default -> writer.write(sqe, cid);
            }
            if (cmd.inCapsule)
            {
                MemorySegment.copy(cmd.buffer, cmd.bufferOffset, sendSegment, capsule.dataOffset(), length);
            }
            if (proxyDigests)
            {
                zeroDigests(capsule);
            }
            else
            {
                capsule.writeHeaderDigest(sendCrc);
                if (cmd.inCapsule)
                {
                    capsule.writeDataDigest(sendCrc);
                }
            }
            writeFully((int)capsule.plen());
        }
        catch (final IOException e)
        {
            fail(name + ": sending a command capsule failed: " + e, e);
        }
        finally
        {
            sendLock.unlock();
        }
    }

    /** The proxy computes the digests of what we send (ULP offloaded): leave four zero bytes where each goes. */
    private void zeroDigests(final PduFlyweight<?> pdu)
    {
        if (pdu.hasHeaderDigest())
        {
            sendSegment.set(ValueLayout.JAVA_INT_UNALIGNED, pdu.offset() + pdu.hlen(), 0);
        }
        if (pdu.hasDataDigest() && pdu.dataLength() > 0)
        {
            sendSegment.set(ValueLayout.JAVA_INT_UNALIGNED, pdu.offset() + pdu.plen() - 4, 0);
        }
    }

    private void writeFully(final int length) throws IOException
    {
        sendBuffer.clear().limit(length);
        h2cBytes += length;
        long deadline = 0;
        while (sendBuffer.hasRemaining())
        {
            if (0 == channel.write(sendBuffer))
            {
                if (null != stack && !stack.ownsPoller())
                {
                    // Nobody else drives the link: credit comes back only if we run its duty cycle.
                    stack.poll();
                }
                // POLL mode only (the channel is non-blocking): the socket buffer is full; wait for the peer.
                if (0 == deadline)
                {
                    deadline = System.nanoTime() + timeoutNanos;
                }
                else if (System.nanoTime() - deadline > 0)
                {
                    throw new IOException("send stalled for " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms");
                }
                LockSupport.parkNanos(10_000);
            }
        }
    }

    // ---- receive ----

    @Override
    public int poll()
    {
        if (!polled)
        {
            throw new IllegalStateException(name + ": poll() is for CompletionMode.POLL queues");
        }
        if (!receiveLock.tryLock())
        {
            return 0;
        }
        try
        {
            if (inReceive)
            {
                throw new IllegalStateException(name + ": poll() from a completion handler");
            }
            if (null != offload)
            {
                if (!stack.ownsPoller())
                {
                    stack.poll();
                }
                return receiveOffload();
            }
            return receive(8);
        }
        finally
        {
            receiveLock.unlock();
        }
    }

    /**
     * The reader thread's body: whatever ends it unexpectedly (a bug, an Error from a completion handler) fails the
     * queue with that cause, so every outstanding command and every later one completes with it instead of waiting
     * for a receive loop that is gone.
     */
    private void runReader(final Runnable loop)
    {
        try
        {
            loop.run();
        }
        catch (final RuntimeException | Error e)
        {
            fail(name + ": the receive thread died: " + e, e);
        }
    }

    private void readLoop()
    {
        while (!closed && null == failure)
        {
            receiveLock.lock();
            try
            {
                receive(1);
            }
            finally
            {
                receiveLock.unlock();
            }
        }
    }

    /**
     * THREAD mode over the XTS socket: run the receive loop; between rounds with nothing to do, drive the stack when
     * it has no poller of its own, else park until the ULP listener unparks us (DATA or an event arrived).
     */
    private void offloadLoop()
    {
        // Driving the stack ourselves: spin briefly (data arrives every few microseconds under load; a sleep and its
        // wake-up cost more than a short spin), then sleep until frames arrive on the link.
        final IdleStrategy idle = stack.newIdleStrategy();
        while (!closed && null == failure)
        {
            int work;
            receiveLock.lock();
            try
            {
                work = receiveOffload();
            }
            finally
            {
                receiveLock.unlock();
            }
            if (work > 0)
            {
                idle.reset();
            }
            else
            {
                if (!stack.ownsPoller())
                {
                    if (backgroundDriver)
                    {
                        // Whatever the poll found: under load the stack always has work, and taking it is the I/O
                        // readers' job.
                        stack.poll();
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
                    }
                    else
                    {
                        idle.idle(stack.poll());
                    }
                }
                else
                {
                    offload.parkReader();
                }
            }
        }
    }

    /**
     * The receive loop over the XTS socket: DATA (before the proxy took the framing, or when it refused) goes through
     * our own parser exactly as in software; ULP events (from the listener's ring) are taken in stream order: an
     * event waits until every DATA byte that arrived before it has been parsed.
     *
     * @return completions plus events and DATA reads processed (0 when idle).
     */
    private int receiveOffload()
    {
        if (null != failure)
        {
            return 0;
        }
        completedInReceive = 0;
        inReceive = true;
        int work = 0;
        try
        {
            for (int round = 0; round < 16 && null == failure; round++)
            {
                int n = 0;
                for (int i = 0; i < 4 && null == failure; i++)
                {
                    receiveBuffer.clear();
                    final int got = channel.read(receiveBuffer);
                    if (got < 0)
                    {
                        fail(name + ": the controller closed the connection", null);
                        break;
                    }
                    if (0 == got)
                    {
                        break;
                    }
                    dataConsumed += got;
                    parser.feed(receiveSegment, 0, got);
                    n += got;
                }
                if (offload.pendingResync >= 0)
                {
                    answerResync();
                }
                final int events = null == failure ? offload.drain() : 0;
                if (0 == n && 0 == events)
                {
                    break;
                }
                work += (n > 0 ? 1 : 0) + events;
            }
            offload.returnCredit();
            if (offload.pushAfter > 0 && !offload.pushed && completedTotal >= offload.pushAfter && null == failure)
            {
                pushUlp();
            }
        }
        catch (final IOException e)
        {
            if (!closed)
            {
                fail(name + ": receive failed: " + e.getMessage(), e);
            }
        }
        finally
        {
            inReceive = false;
        }
        return work + completedInReceive;
    }

    /** Hand the framing to the proxy at the last PDU boundary we parsed and the bytes we have sent. */
    private void pushUlp()
    {
        sendLock.lock();
        try
        {
            offload.pushed = true;
            xts.sendUlpPush(headerDigest, dataDigest, cpda, 0, maxH2cData, lastBoundary, h2cBytes, qid, depth);
        }
        catch (final IOException e)
        {
            fail(name + ": ULP_PUSH failed: " + e.getMessage(), e);
        }
        finally
        {
            sendLock.unlock();
        }
    }

    private void awaitUlpResult()
    {
        final long deadline = System.nanoTime() + timeoutNanos;
        while (!offload.resultSeen && null == failure)
        {
            if (polled)
            {
                if (0 == poll())
                {
                    LockSupport.parkNanos(20_000);
                }
            }
            else
            {
                LockSupport.parkNanos(100_000);
            }
            if (System.nanoTime() - deadline > 0)
            {
                throw new NvmeException(NvmeStatus.TIMEOUT, name + ": no ULP_RESULT from the XTS proxy within " +
                    TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms");
            }
        }
        final NvmeException f = failure;
        if (null != f)
        {
            throw f;
        }
    }

    /** Answer the proxy's RESYNC_REQUEST once our parser has reached or passed the offset it asked about. */
    private void answerResync() throws IOException
    {
        final long asked = offload.pendingResync;
        boolean known = false;
        for (final long start : recentStarts)
        {
            known |= start == asked;
        }
        final boolean passed = parser.position() >= asked + LONGEST_HEADER;
        if (known || passed)
        {
            offload.pendingResync = -1;
            xts.sendResyncResponse(asked, known);
            offload.resyncAnswers++;
        }
    }

    /** Read up to {@code reads} times (stopping when nothing is there) and process it; returns completions. */
    private int receive(final int reads)
    {
        if (null != failure)
        {
            return 0;
        }
        completedInReceive = 0;
        inReceive = true;
        try
        {
            for (int i = 0; i < reads && null == failure; i++)
            {
                final Command target = dataCommand;
                final int n;
                if (null != target && target.direct && largeC2h && parser.readingData())
                {
                    n = readDirect(target);
                }
                else
                {
                    receiveBuffer.clear();
                    // Idle too: a blocking read waiting for whatever comes next must not swallow a payload.
                    if (directReads.get() > 0 || 0 == inFlight.get())
                    {
                        receiveBuffer.limit(toNextHeaderEnd());
                    }
                    n = channel.read(receiveBuffer);
                    if (n > 0)
                    {
                        parser.feed(receiveSegment, 0, n);
                    }
                }
                if (n < 0)
                {
                    fail(name + ": the controller closed the connection", null);
                    break;
                }
                if (0 == n)
                {
                    break;
                }
            }
        }
        catch (final IOException e)
        {
            if (!closed)
            {
                fail(name + ": receive failed: " + e, e);
            }
        }
        finally
        {
            inReceive = false;
        }
        return completedInReceive;
    }

    /**
     * Read the current C2HData payload from the socket straight into the command's buffer at its place, and account
     * for it with the parser (which computes the data digest over it).
     *
     * @return bytes read, -1 at the end of the stream.
     */
    private int readDirect(final Command cmd) throws IOException
    {
        final int at = (int)(dataBase + parser.dataPosition());
        final int rest = (int)parser.bytesToStepEnd();
        final ByteBuffer view = cmd.view;
        view.clear().position(at).limit(at + rest);
        // One scattering read takes the rest of the payload and what follows it up to the end of the next header
        // (DDGST, next PDU header), so a PDU costs no extra system call for its trailer.
        receiveBuffer.clear().limit((parser.header().hasDataDigest() ? NvmeTcp.DIGEST_LENGTH : 0) + C2H_HEADER +
            (headerDigest ? NvmeTcp.DIGEST_LENGTH : 0));
        directBuffers[0] = view;
        final long n = ((ScatteringByteChannel)channel).read(directBuffers);
        if (n > 0)
        {
            final int data = (int)Math.min(n, rest);
            view.limit(at + data).position(at);
            parser.dataPlaced(view);
            if (n > data && null == failure)
            {
                parser.feed(receiveSegment, 0, n - data);
            }
        }
        return (int)n;
    }

    /**
     * @return bytes from here to the end of the next PDU header (every header after ICResp is {@link #C2H_HEADER}
     *         bytes and its digest): a read into the receive buffer stops there, so the payload after it can go
     *         straight to its command's buffer.
     */
    private int toNextHeaderEnd()
    {
        final int header = C2H_HEADER + (headerDigest ? NvmeTcp.DIGEST_LENGTH : 0);
        final long need;
        if (parser.readingHeader())
        {
            need = parser.readingHeaderBody() ? parser.bytesToStepEnd() :
                parser.bytesToStepEnd() + header - NvmeTcp.CH_LENGTH;
        }
        else if (parser.readingPad())
        {
            need = parser.bytesToStepEnd();
        }
        else if (parser.readingDataDigest())
        {
            need = parser.bytesToStepEnd() + header;
        }
        else
        {
            need = parser.bytesToStepEnd() + (parser.header().hasDataDigest() ? NvmeTcp.DIGEST_LENGTH : 0) + header;
        }
        return (int)Math.max(1, Math.min(need, RECEIVE_BUFFER));
    }

    /**
     * @param cid  a CID the controller named.
     * @param what the PDU that named it, for the error.
     * @return the outstanding command, or null after failing the queue with a protocol error.
     */
    Command lookup(final int cid, final String what)
    {
        final int slot = cid & 0xFFF;
        if (slot < depth)
        {
            final Command cmd = commands[slot];
            if (cmd.isActive(cid))
            {
                return cmd;
            }
        }
        protocolError(String.format("%s for CID %04Xh, which is not outstanding", what, cid));
        return null;
    }

    @Override
    public void onHeader(final PduHeader header)
    {
        if (null != failure)
        {
            return;
        }
        recentStarts[recentNext] = parser.pduStart();
        recentNext = (recentNext + 1) & (recentStarts.length - 1);
        switch (header.type())
        {
            case TYPE_IC_RESP -> checkIcResp(parser.icResp());
            case TYPE_CAPSULE_RESP -> onCapsuleResp(parser.capsuleResp().cqe());
            case TYPE_C2H_DATA -> onC2HDataHeader(parser.c2hData());
            case TYPE_R2T -> onR2T(parser.r2t());
            case TYPE_C2H_TERM_REQ -> onTermReq(parser.termReq().fes(), parser.termReq().fei());
            default -> protocolError("unexpected " + header.typeName());
        }
    }

    /**
     * The controller ended the connection with a C2HTermReq.
     *
     * @param fes its fatal error status.
     * @param fei its fatal error information.
     */
    void onTermReq(final int fes, final long fei)
    {
        fail(String.format("%s: the controller sent C2HTermReq FES %02Xh (%s) FEI %d", name, fes, fesName(fes), fei),
            null);
    }

    /**
     * A CapsuleResp: complete its command.
     *
     * @param cqe the completion queue entry.
     */
    void onCapsuleResp(final Cqe cqe)
    {
        final Command cmd = lookup(cqe.cid(), "CapsuleResp");
        if (null == cmd)
        {
            return;
        }
        int status = NvmeStatus.fromCqe(cqe.status());
        if (NvmeStatus.isSuccess(status))
        {
            if (cmd.digestError)
            {
                status = NvmeStatus.DATA_DIGEST_ERROR;
            }
            else if (!cmd.toController && cmd.c2hReceived != cmd.length)
            {
                status = NvmeStatus.SHORT_TRANSFER;
            }
        }
        finish(cmd, status, cqe.result64());
    }

    private void onC2HDataHeader(final C2HDataPdu c2h)
    {
        final Command cmd = lookup(c2h.cccid(), "C2HData");
        if (null == cmd)
        {
            return;
        }
        final long datao = c2h.datao();
        final long datal = c2h.datal();
        if (cmd.toController || 0 == cmd.length)
        {
            protocolError(String.format("C2HData for CID %04Xh, which expects no data from the controller",
                cmd.cid));
        }
        else if (datao != cmd.c2hReceived)
        {
            protocolError(String.format("C2HData DATAO %d for CID %04Xh, expected %d (data must be contiguous)",
                datao, cmd.cid, cmd.c2hReceived));
        }
        else if (datao + datal > cmd.length)
        {
            protocolError(String.format("C2HData DATAO %d DATAL %d for CID %04Xh, beyond its %d-byte buffer",
                datao, datal, cmd.cid, cmd.length));
        }
        else
        {
            dataCommand = cmd;
            dataBase = cmd.bufferOffset + datao;
            largeC2h = datal >= DIRECT_READ_MIN;
        }
    }

    /**
     * An R2T whose PDU arrived whole (a PDU_HEADER from the proxy): check it and send the H2CData it asks for.
     *
     * @param r2t the R2T.
     */
    void answerR2T(final R2TPdu r2t)
    {
        onR2T(r2t);
        if (null != r2tCommand)
        {
            final Command cmd = r2tCommand;
            r2tCommand = null;
            sendH2CData(cmd, r2tTag, r2tOffset, r2tLength);
        }
    }

    private void onR2T(final R2TPdu r2t)
    {
        final Command cmd = lookup(r2t.cccid(), "R2T");
        if (null == cmd)
        {
            return;
        }
        final long r2to = r2t.r2to();
        final long r2tl = r2t.r2tl();
        if (!cmd.toController || cmd.inCapsule)
        {
            protocolError(String.format("R2T for CID %04Xh, which has no data awaiting R2T", cmd.cid));
        }
        else if (r2to != cmd.h2cSent)
        {
            protocolError(String.format("R2T R2TO %d for CID %04Xh, expected %d (R2Ts must be contiguous)",
                r2to, cmd.cid, cmd.h2cSent));
        }
        else if (0 == r2tl || r2to + r2tl > cmd.length)
        {
            protocolError(String.format("R2T R2TO %d R2TL %d for CID %04Xh outside its %d-byte buffer",
                r2to, r2tl, cmd.cid, cmd.length));
        }
        else
        {
            r2tCommand = cmd;
            r2tTag = r2t.ttag();
            r2tOffset = r2to;
            r2tLength = r2tl;
        }
    }

    @Override
    public void onData(final PduHeader header, final long dataOffset, final MemorySegment memory, final long offset,
        final int length)
    {
        if (TYPE_C2H_DATA == header.type() && null != dataCommand && null == failure)
        {
            final Command cmd = dataCommand;
            if (cmd.scatterRead)
            {
                if (!cmd.scatter.addCopy(bounce, memory, offset, length, dataBase + dataOffset))
                {
                    fail(String.format("%s: scatter read CID %04Xh: no bounce memory for %d bytes at %d (%d of %d " +
                        "chunks free)", name, cmd.cid, length, dataBase + dataOffset, bounce.freeChunks(),
                        bounce.chunks()), null);
                    return;
                }
            }
            else
            {
                MemorySegment.copy(memory, offset, cmd.buffer, dataBase + dataOffset, length);
            }
            copiedBytes.getAndAdd(length);
        }
    }

    @Override
    public void onPduEnd(final PduHeader header, final boolean dataDigestOk)
    {
        lastBoundary = parser.position(); // the parser moved pduStart to this PDU's end already
        if (null != failure)
        {
            return;
        }
        final int type = header.type();
        if (TYPE_C2H_DATA == type)
        {
            final Command cmd = dataCommand;
            dataCommand = null;
            if (null == cmd)
            {
                return;
            }
            c2hDataEnd(cmd, header.dataLength(), dataDigestOk, header.isLastPdu(), header.isSuccess());
        }
        else if (TYPE_R2T == type && null != r2tCommand)
        {
            final Command cmd = r2tCommand;
            r2tCommand = null;
            sendH2CData(cmd, r2tTag, r2tOffset, r2tLength);
        }
    }

    /**
     * The end of a C2HData PDU whose data is in place (parsed here, or placed by the proxy): count it, and complete
     * the command when the PDU is the last with SUCCESS.
     *
     * @param cmd          the read.
     * @param dataLength   DATAL.
     * @param dataDigestOk whether the data digest matched (or there is none).
     * @param last         LAST_PDU.
     * @param success      SUCCESS.
     */
    void c2hDataEnd(final Command cmd, final long dataLength, final boolean dataDigestOk, final boolean last,
        final boolean success)
    {
        if (!dataDigestOk)
        {
            // Non-fatal by the specification: the command fails when it completes, never silently.
            cmd.digestError = true;
            dataDigestErrors++;
        }
        cmd.c2hReceived += dataLength;
        if (last && success)
        {
            final int status = cmd.digestError ? NvmeStatus.DATA_DIGEST_ERROR :
                cmd.c2hReceived != cmd.length ? NvmeStatus.SHORT_TRANSFER : NvmeStatus.SUCCESS;
            finish(cmd, status, 0);
        }
    }

    private void sendH2CData(final Command cmd, final int ttag, final long r2to, final long r2tl)
    {
        final long chunk = Math.min(maxH2cData, H2C_CHUNK);
        final long end = r2to + r2tl;
        sendLock.lock();
        try
        {
            long at = r2to;
            while (at < end)
            {
                final long n = Math.min(chunk, end - at);
                h2c.write(headerDigest, dataDigest, cpda, cmd.cid, ttag, at, n, at + n == end);
                MemorySegment.copy(cmd.buffer, cmd.bufferOffset + at, sendSegment, h2c.dataOffset(), n);
                if (null != offload && offload.active)
                {
                    zeroDigests(h2c);
                }
                else
                {
                    h2c.writeHeaderDigest(sendCrc);
                    h2c.writeDataDigest(sendCrc);
                }
                writeFully((int)h2c.plen());
                at += n;
            }
            cmd.h2cSent = end;
        }
        catch (final IOException e)
        {
            fail(name + ": sending H2CData failed: " + e, e);
        }
        finally
        {
            sendLock.unlock();
        }
    }

    @Override
    public void onMalformed(final PduError error, final String reason)
    {
        final String text = String.format("%s: malformed PDU from the controller at stream offset %d: %s", name,
            parser.pduStart(), reason);
        sendTermReq(parser.errorFes(), parser.errorFei(), parser.headerBuffer(), parser.headerBytes());
        fail(text, null);
    }

    /**
     * A PDU broke the protocol: tell the controller (H2CTermReq, best effort) and fail the queue.
     *
     * @param what the error.
     */
    void protocolError(final String what)
    {
        if (null != offload && offload.protocolError(what))
        {
            // An offloaded PDU: our parser stopped at the switch; the PDU's offset and header are the offload's.
            return;
        }
        final String text = String.format("%s: protocol error at stream offset %d: %s", name, parser.pduStart(), what);
        sendTermReq(NvmeTcp.FES_SEQUENCE_ERROR, 0, parser.headerBuffer(), parser.header().headerLengthWithDigest());
        fail(text, null);
    }

    /**
     * Send an H2CTermReq carrying the offending header, best effort (the connection ends anyway).
     *
     * @param fes         fatal error status.
     * @param fei         fatal error information.
     * @param header      memory holding the offending header.
     * @param headerBytes its bytes.
     */
    void sendTermReq(final int fes, final long fei, final MemorySegment header, final int headerBytes)
    {
        // Best effort: the connection ends anyway.
        try
        {
            if (sendLock.tryLock(100, TimeUnit.MILLISECONDS))
            {
                try
                {
                    termReq.write(NvmeTcp.TYPE_H2C_TERM_REQ, fes, fei, header, 0, headerBytes);
                    writeFully((int)termReq.plen());
                }
                finally
                {
                    sendLock.unlock();
                }
            }
        }
        catch (final IOException | RuntimeException e)
        {
            LOG.log(System.Logger.Level.DEBUG, "{0}: H2CTermReq not sent: {1}", name, e);
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
        }
    }

    private static String fesName(final int fes)
    {
        return switch (fes)
        {
            case NvmeTcp.FES_INVALID_HEADER_FIELD -> "Invalid PDU Header Field";
            case NvmeTcp.FES_SEQUENCE_ERROR -> "PDU Sequence Error";
            case NvmeTcp.FES_HEADER_DIGEST_ERROR -> "Header Digest Error";
            case NvmeTcp.FES_DATA_OUT_OF_RANGE -> "Data Transfer Out of Range";
            case NvmeTcp.FES_DATA_LIMIT_EXCEEDED -> "Data Transfer Limit Exceeded / R2T Limit Exceeded";
            case NvmeTcp.FES_UNSUPPORTED_PARAMETER -> "Unsupported Parameter";
            default -> "reserved";
        };
    }

    // ---- completion and failure ----

    /**
     * Complete a command, exactly once whoever calls: the slot goes back to the free stack, then the handler runs.
     *
     * @param cmd    the command.
     * @param status its {@link NvmeStatus}.
     * @param result CQE DW1:DW0.
     */
    void finish(final Command cmd, final int status, final long result)
    {
        if (!cmd.startCompleting())
        {
            return;
        }
        if (cmd.direct)
        {
            cmd.direct = false;
            directReads.decrementAndGet();
        }
        if (cmd.scatterRead)
        {
            finishScatter(cmd, status);
            return;
        }
        final CompletionHandler handler = cmd.handler;
        final Object attachment = cmd.attachment;
        release(cmd);
        inFlight.decrementAndGet();
        completedInReceive++;
        completedTotal++;
        try
        {
            handler.onCompletion(status, result, attachment);
        }
        catch (final RuntimeException e)
        {
            LOG.log(System.Logger.Level.WARNING, name + ": completion handler threw", e);
        }
    }

    /**
     * A scatter read completes: on success with all its data the application gets the list and the slot stays taken
     * until it releases it; otherwise what arrived is given back first and the handler gets no list.
     */
    private void finishScatter(final Command cmd, final int status)
    {
        final ScatterList list = cmd.scatter;
        final ScatterReadHandler handler = cmd.scatterHandler;
        final Object attachment = cmd.attachment;
        list.close();
        inFlight.decrementAndGet();
        completedInReceive++;
        completedTotal++;
        final boolean ok = NvmeStatus.isSuccess(status) && list.isComplete();
        if (ok)
        {
            cmd.state.set(HELD);
            list.hand();
        }
        else
        {
            freeScatter(cmd);
        }
        try
        {
            handler.onCompletion(ok || !NvmeStatus.isSuccess(status) ? status : NvmeStatus.SHORT_TRANSFER,
                ok ? list : null, attachment);
        }
        catch (final RuntimeException e)
        {
            LOG.log(System.Logger.Level.WARNING, name + ": scatter read handler threw", e);
        }
    }

    /**
     * {@link ScatterList#release()}: give back what the list holds and free the slot.
     *
     * @param cmd the command whose list it is.
     */
    void releaseScatter(final Command cmd)
    {
        if (!cmd.state.compareAndSet(HELD, COMPLETING))
        {
            throw new IllegalStateException(name + ": scatter list of slot " + cmd.slot + " is not held");
        }
        freeScatter(cmd);
    }

    /**
     * Give back a closed list's frames (with their receive credit) and bounce chunks, free the slot, return its
     * length to the scatter window and send the reads that waited for it.
     */
    private void freeScatter(final Command cmd)
    {
        final ScatterList list = cmd.scatter;
        if (list.frameCount() > 0)
        {
            xts.ulpRelease(list.frames(), list.frameCount(), list.frameBytes());
        }
        if (list.chunkCount() > 0)
        {
            bounce.free(list.chunks(), list.chunkCount());
        }
        list.clear();
        final boolean admitted;
        synchronized (admissionLock)
        {
            admitted = cmd.admitted;
            cmd.admitted = false;
            if (admitted)
            {
                scatterReserved -= cmd.length;
            }
        }
        release(cmd);
        if (admitted)
        {
            sendDeferred();
        }
    }

    /** Send the reads that waited for the scatter window, in order, while it has room. */
    private void sendDeferred()
    {
        while (null == failure)
        {
            final Command next;
            synchronized (admissionLock)
            {
                if (0 == deferredCount)
                {
                    return;
                }
                next = commands[deferred[deferredHead]];
                if (scatterReserved + next.length > scatterWindow)
                {
                    return;
                }
                deferredHead = (deferredHead + 1) % depth;
                deferredCount--;
                scatterReserved += next.length;
                next.admitted = true;
            }
            send(next, KIND_READ, null);
        }
    }

    /** @return bounce memory for scatter-read data that cannot stay where it arrived. */
    BounceMemory bounce()
    {
        return bounce;
    }

    /** Count read data copied in user space on this host. */
    void countCopied(final long bytes)
    {
        copiedBytes.getAndAdd(bytes);
    }

    /** Count scatter-read data left in the link frames it arrived in. */
    void countInPlace(final long bytes)
    {
        inPlaceBytes.getAndAdd(bytes);
    }

    @Override
    public long copiedBytes()
    {
        return copiedBytes.get();
    }

    @Override
    public long inPlaceBytes()
    {
        return inPlaceBytes.get();
    }

    String failureText()
    {
        final NvmeException f = failure;
        return null == f ? "no failure" : f.getMessage();
    }

    /**
     * Fail the queue, once: close the connection and complete every outstanding command with QUEUE_FAILED (or
     * QUEUE_CLOSED after {@link #close()}).
     *
     * @param reason why, for the log and {@link #failure()}.
     * @param cause  the exception, or null.
     */
    void fail(final String reason, final Throwable cause)
    {
        synchronized (failLock)
        {
            if (null != failure)
            {
                return;
            }
            failure = new NvmeException(closed ? NvmeStatus.QUEUE_CLOSED : NvmeStatus.QUEUE_FAILED, reason, cause);
        }
        if (!closed)
        {
            LOG.log(System.Logger.Level.WARNING, reason);
        }
        try
        {
            channel.close();
        }
        catch (final IOException ignored)
        {
            // Failing anyway.
        }
        synchronized (admissionLock)
        {
            // Never sent: they fail below with everything else outstanding.
            deferredCount = 0;
        }
        final int status = closed ? NvmeStatus.QUEUE_CLOSED : NvmeStatus.QUEUE_FAILED;
        for (final Command cmd : commands)
        {
            if (cmd.isActive(cmd.cid))
            {
                finish(cmd, status, 0);
            }
        }
    }

    @Override
    public void close()
    {
        closed = true;
        fail(name + ": closed", null);
        final Thread t = reader;
        if (null != t && t != Thread.currentThread())
        {
            try
            {
                t.join(TimeUnit.NANOSECONDS.toMillis(timeoutNanos));
            }
            catch (final InterruptedException e)
            {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** @return stream offset just past the last complete controller-to-host PDU our parser consumed. */
    long lastBoundary()
    {
        return lastBoundary;
    }

    /** @return bytes of the controller-to-host stream our parser consumed. */
    long parserPosition()
    {
        return parser.position();
    }

    /** @return DATA bytes read from the XTS socket (what the offload's event stamps are compared with). */
    long dataConsumed()
    {
        return dataConsumed;
    }

    /** The I/O queues drive the XTS stack from now on; see {@link #backgroundDriver}. */
    void driveInBackground()
    {
        backgroundDriver = true;
    }

    @Override
    public boolean isOffloaded()
    {
        return null != offload && offload.active;
    }

    @Override
    public long placedBytes()
    {
        return null == offload ? 0 : offload.placedBytes;
    }

    @Override
    public long unregisteredBytes()
    {
        return null == offload ? 0 : offload.unregisteredBytes;
    }

    @Override
    public String toString()
    {
        return name;
    }


    /** Completes the future passed as attachment; one per queue, so futures cost only themselves. */
    private final class FutureAdapter implements CompletionHandler
    {
        @Override
        @SuppressWarnings("unchecked")
        public void onCompletion(final int status, final long result, final Object attachment)
        {
            final CompletableFuture<Void> future = (CompletableFuture<Void>)attachment;
            if (NvmeStatus.isSuccess(status))
            {
                future.complete(null);
            }
            else
            {
                final String detail = NvmeStatus.QUEUE_FAILED == status || NvmeStatus.QUEUE_CLOSED == status ?
                    ": " + failureText() : "";
                future.completeExceptionally(new NvmeException(status, name + ": " + NvmeStatus.describe(status) +
                    detail));
            }
        }
    }
}
