package io.xts.nvme.host;

import io.xts.link.FrameTransport;
import io.xts.link.LinkConfig;
import io.xts.link.LinkCounters;
import io.xts.link.LinkListener;
import io.xts.link.LinkState;
import io.xts.link.XtsLink;
import io.xts.nvme.C2HDataPdu;
import io.xts.nvme.CapsuleCmdPdu;
import io.xts.nvme.CapsuleRespPdu;
import io.xts.nvme.Crc32c;
import io.xts.nvme.H2CDataPdu;
import io.xts.nvme.ICReqPdu;
import io.xts.nvme.ICRespPdu;
import io.xts.nvme.NvmeTcp;
import io.xts.nvme.R2TPdu;
import io.xts.nvme.Sqe;
import io.xts.nvme.TermReqPdu;
import io.xts.protocol.ConnectFlyweight;
import io.xts.protocol.DdpPlaceFlyweight;
import io.xts.protocol.DdpSetupFlyweight;
import io.xts.protocol.DdpTeardownFlyweight;
import io.xts.protocol.EstablishedFlyweight;
import io.xts.protocol.OptionResultFlyweight;
import io.xts.protocol.ResyncFlyweight;
import io.xts.protocol.SetOptionFlyweight;
import io.xts.protocol.SocketErrorFlyweight;
import io.xts.protocol.SocketResetFlyweight;
import io.xts.protocol.StreamCreditFlyweight;
import io.xts.protocol.UlpMessages;
import io.xts.protocol.UlpPushFlyweight;
import io.xts.protocol.UlpResultFlyweight;
import io.xts.protocol.XtsFrameDescriptor;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Function;

import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_DDP_PLACE;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_DDP_SETUP;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_DDP_TEARDOWN;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_PDU_HEADER;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_RESYNC_REQUEST;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_RESYNC_RESPONSE;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_ULP_PUSH;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_ULP_RESULT;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_CLOSE;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_CONNECT;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_CONNECT_RESULT;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_CREDIT;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_DATA;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_OPTION_RESULT;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_RESET;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_SET_OPTION;

/**
 * The other end of an offloaded NVMe/TCP queue, in-process: the XTS proxy (CONNECT, DATA both ways within credit, the
 * ULP messages of docs/PROTOCOL.md "NVMe/TCP offload messages") and, behind it, a tiny NVMe/TCP controller, on its own
 * thread over an in-process link.
 * <p>
 * What the app sends: DATA is appended to the host-to-controller stream and delineated into PDUs by PLEN (no digest
 * checks: under the offload the app leaves them zero, and the tests look at them byte by byte); ICReq is answered with
 * ICResp (as DATA, from {@link #cpda} and {@link #maxH2cData}); a Fabrics Connect with a CapsuleResp carrying
 * {@link #CNTLID}; reads, with {@link #autoReads}, with {@link #disk} data and a CapsuleResp; everything else is only
 * recorded. ULP_PUSH is recorded and, unless {@link #holdPushAnswer}, answered
 * with ULP_RESULT ({@link #answerPush}); DDP_SETUP, DDP_TEARDOWN, RESYNC_RESPONSE and CREDIT are recorded with the
 * stream positions at their arrival.
 * <p>
 * What the controller sends is scripted by the test: {@link #sendC2H}, {@link #sendResp}, {@link #sendR2T} and the raw
 * {@link #sendPduHeader}/{@link #sendPlace}, each as DATA (real digests) or as ULP messages (PDU_HEADER, DDP_PLACE)
 * depending on whether the queue is offloaded ({@link #ulpMode()}, set by an in-sync ULP_RESULT or
 * {@link #switchToUlp}). Every message goes out in order through one queue, and only within the receive credit the
 * app granted, counted in bytes of the controller-to-host TCP stream whichever form they take (for DDP_PLACE, its
 * bytes plus, on the last piece, the data digest; for a PDU_HEADER, the rest of its PDU's header, digest and pad).
 * <p>
 * The test talks to the proxy's state only through {@link #call}, which runs on the proxy's thread; the convenience
 * methods do so themselves.
 */
final class ScriptedOffloadProxy implements LinkListener, AutoCloseable
{
    static final InetSocketAddress PROXY_LOCAL = new InetSocketAddress("198.18.0.1", 40000);
    static final int CNTLID = 0x0042;
    /** What the app may send us before our first CREDIT. */
    static final int SEND_WINDOW = 256 * 1024;
    /**
     * Link settings for both ends that declare the other dead after 5 s, not 500 ms: a test whose app thread drives
     * the stack, on a shared and loaded machine, can be off the CPU for longer than that.
     */
    static final LinkConfig TOLERANT_LINK = LinkConfig.defaults().liveness(TimeUnit.MILLISECONDS.toNanos(100),
        TimeUnit.SECONDS.toNanos(5));

    /** ULP_PUSH as received, with the stream positions at its arrival. */
    record UlpPush(int ulp, int flags, int cpda, int hpda, long maxH2cData, long c2hConsumed, long h2cSent, int qid,
        int qsize, long h2cReceivedAtArrival, long c2hSentAtArrival)
    {
    }

    /** DDP_SETUP as received; {@code h2cReceivedAtArrival}: bytes of DATA the app had sent before it. */
    record DdpSetup(int cid, long length, long h2cReceivedAtArrival)
    {
    }

    record Teardown(int cid, int reason)
    {
    }

    record ResyncResponse(long offset, boolean confirmed)
    {
    }

    /** CREDIT from the app, with how many bytes of the controller-to-host stream we had sent when it arrived. */
    record Credit(long position, long window, long c2hSentAtArrival)
    {
    }

    /** A PDU the app sent, whole, at its offset in the host-to-controller stream. */
    record HostPdu(long streamOffset, byte[] bytes)
    {
        MemorySegment segment()
        {
            final MemorySegment m = Arena.ofAuto().allocate(bytes.length, 8);
            MemorySegment.copy(bytes, 0, m, ValueLayout.JAVA_BYTE, 0, bytes.length);
            return m;
        }

        int type()
        {
            return bytes[0] & 0xFF;
        }

        int flags()
        {
            return bytes[1] & 0xFF;
        }

        int hlen()
        {
            return bytes[2] & 0xFF;
        }

        int pdo()
        {
            return bytes[3] & 0xFF;
        }

        int plen()
        {
            return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getInt(4);
        }

        /** @return the SQE of a CapsuleCmd. */
        Sqe sqe()
        {
            return new CapsuleCmdPdu().wrap(segment(), 0).sqe();
        }

        boolean isRead()
        {
            return NvmeTcp.TYPE_CAPSULE_CMD == type() && NvmeTcp.OPC_READ == sqe().opcode() && !sqe().isFabrics();
        }

        boolean isWrite()
        {
            return NvmeTcp.TYPE_CAPSULE_CMD == type() && NvmeTcp.OPC_WRITE == sqe().opcode() && !sqe().isFabrics();
        }

        /** @return the four bytes where the header digest goes, as stored (little endian). */
        int headerDigestField()
        {
            return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getInt(hlen());
        }

        /** @return the four bytes where the data digest goes (the PDU's last four). */
        int dataDigestField()
        {
            return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getInt(bytes.length - 4);
        }

        /** @return the CRC32C of the header (CH + PSH), as it should be in HDGST. */
        int headerCrc()
        {
            return Crc32c.of(segment(), 0, hlen());
        }

        /** @return the CRC32C of the data, as it should be in DDGST. */
        int dataCrc(final long dataLength)
        {
            return Crc32c.of(segment(), pdo(), dataLength);
        }

        /** @return the PDU's data (from PDO, without the data digest when {@code dataDigest}). */
        byte[] data(final boolean dataDigest)
        {
            return Arrays.copyOfRange(bytes, pdo(), bytes.length - (dataDigest ? 4 : 0));
        }
    }

    /** One message to the app, waiting for link room and credit. */
    private record Out(int type, byte[] body, long streamBytes)
    {
    }

    private final XtsLink link;
    private final Thread thread;
    private final ConcurrentLinkedQueue<Runnable> commands = new ConcurrentLinkedQueue<>();
    private volatile boolean running = true;
    private final MemorySegment scratch = Arena.ofAuto().allocate(1 << 20, 8);
    private final Crc32c crc = new Crc32c();

    // Script (proxy thread, set through call or before the app connects).
    volatile int cpda;
    volatile int maxH2cData = 16384;
    private boolean autoAnswer = true;
    private int answerErrno;
    private int answerState = UlpMessages.RESULT_IN_SYNC;
    /** Answer every read capsule at once with {@link #disk} data ({@link #autoReadPiece} pieces) and a CapsuleResp. */
    volatile boolean autoReads;
    /** Bytes of each DDP_PLACE piece of an {@link #autoReads} answer. */
    volatile int autoReadPiece = 1024;

    // The one connection (proxy thread only).
    private int socketId = -1;
    private boolean closedByApp;
    private long appLimit;
    private long c2hQueued;
    private long c2hSent;
    private long creditStalls;
    private boolean ulpMode;
    private boolean headerDigest;
    private boolean dataDigest;
    private final ArrayDeque<Out> out = new ArrayDeque<>();
    private byte[] h2c = new byte[64 * 1024];
    private int h2cLength;
    private int parsedTo;
    private long grantedToApp = SEND_WINDOW;
    private long advertisedToApp;

    // Records (proxy thread only; read through call).
    final List<Integer> appMessageTypes = new ArrayList<>();
    final List<HostPdu> hostPdus = new ArrayList<>();
    final List<UlpPush> pushes = new ArrayList<>();
    final List<DdpSetup> setups = new ArrayList<>();
    final List<Teardown> teardowns = new ArrayList<>();
    final List<ResyncResponse> resyncResponses = new ArrayList<>();
    final List<Credit> credits = new ArrayList<>();
    final List<String> violations = new ArrayList<>();

    private final ConnectFlyweight connect = new ConnectFlyweight();
    private final EstablishedFlyweight established = new EstablishedFlyweight();
    private final StreamCreditFlyweight credit = new StreamCreditFlyweight();
    private final SetOptionFlyweight setOption = new SetOptionFlyweight();
    private final OptionResultFlyweight optionResult = new OptionResultFlyweight();
    private final UlpPushFlyweight push = new UlpPushFlyweight();
    private final UlpResultFlyweight result = new UlpResultFlyweight();
    private final DdpSetupFlyweight setup = new DdpSetupFlyweight();
    private final DdpTeardownFlyweight teardown = new DdpTeardownFlyweight();
    private final DdpPlaceFlyweight place = new DdpPlaceFlyweight();
    private final ResyncFlyweight resync = new ResyncFlyweight();

    ScriptedOffloadProxy(final FrameTransport transport)
    {
        this(transport, LinkConfig.defaults());
    }

    /**
     * @param transport the proxy's end of the link.
     * @param config    the link's settings (a longer dead-peer timeout keeps a loaded test machine from failing it).
     */
    ScriptedOffloadProxy(final FrameTransport transport, final LinkConfig config)
    {
        final CountersManager counters = new CountersManager(new UnsafeBuffer(ByteBuffer.allocateDirect(64 * 1024)),
            new UnsafeBuffer(ByteBuffer.allocateDirect(16 * 1024)));
        link = new XtsLink(transport, config, this, new LinkCounters(counters, "offload-proxy"),
            System.nanoTime());
        thread = new Thread(this::run, "scripted-offload-proxy");
        thread.setDaemon(true);
        thread.start();
    }

    private void run()
    {
        while (running)
        {
            int work = 0;
            Runnable command;
            while (null != (command = commands.poll()))
            {
                command.run();
                work++;
            }
            work += pump();
            work += link.doWork(System.nanoTime());
            if (0 == work)
            {
                LockSupport.parkNanos(20_000);
            }
        }
    }

    /**
     * Run {@code action} on the proxy's thread and return its result.
     */
    <T> T call(final Function<ScriptedOffloadProxy, T> action)
    {
        final CompletableFuture<T> future = new CompletableFuture<>();
        commands.add(() ->
        {
            try
            {
                future.complete(action.apply(this));
            }
            catch (final Throwable ex)
            {
                future.completeExceptionally(ex);
            }
        });
        try
        {
            return future.get(10, TimeUnit.SECONDS);
        }
        catch (final Exception ex)
        {
            throw new AssertionError("scripted offload proxy command failed", ex);
        }
    }

    void run(final Consumer<ScriptedOffloadProxy> action)
    {
        call(p ->
        {
            action.accept(p);
            return null;
        });
    }

    @Override
    public void close()
    {
        running = false;
        try
        {
            thread.join(5000);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        link.close();
    }

    // ---- script and state, from the test thread ----

    /** Answer future ULP_PUSHes at once with this errno and state. */
    void answerPush(final int errno, final int state)
    {
        run(p ->
        {
            p.autoAnswer = true;
            p.answerErrno = errno;
            p.answerState = state;
        });
    }

    /** Leave future ULP_PUSHes unanswered (the test answers with {@link #sendUlpResult}). */
    void holdPushAnswer()
    {
        run(p -> p.autoAnswer = false);
    }

    /** ULP_RESULT; errno 0 in sync switches what follows to ULP messages. */
    void sendUlpResult(final int errno, final int state, final long streamOffset)
    {
        run(p -> p.ulpResult(errno, state, streamOffset));
    }

    /** From now on the controller's PDUs go as ULP messages (after a confirmed resync). */
    void switchToUlp()
    {
        run(p -> p.ulpMode = true);
    }

    boolean ulpMode()
    {
        return call(p -> p.ulpMode);
    }

    /** @return bytes of the controller-to-host stream queued so far: the offset the next PDU will start at. */
    long c2hQueued()
    {
        return call(p -> p.c2hQueued);
    }

    /** @return bytes of the controller-to-host stream sent to the app so far. */
    long c2hSent()
    {
        return call(p -> p.c2hSent);
    }

    /** @return bytes of the host-to-controller stream received from the app. */
    long h2cReceived()
    {
        return call(p -> (long)p.h2cLength);
    }

    /** @return times the queue's head waited for the app's credit. */
    long creditStalls()
    {
        return call(p -> p.creditStalls);
    }

    /** @return whether everything queued has been sent and the app's link has acknowledged it (received it). */
    boolean delivered()
    {
        return call(p -> p.out.isEmpty() && p.link.drained());
    }

    boolean closedByApp()
    {
        return call(p -> p.closedByApp);
    }

    <T> List<T> snapshot(final Function<ScriptedOffloadProxy, List<T>> list)
    {
        return call(p -> new ArrayList<>(list.apply(p)));
    }

    List<HostPdu> hostPdus()
    {
        return snapshot(p -> p.hostPdus);
    }

    /** @return the read (or write) capsules, in order. */
    List<HostPdu> capsules(final boolean reads)
    {
        final List<HostPdu> result = new ArrayList<>();
        for (final HostPdu pdu : hostPdus())
        {
            if (reads ? pdu.isRead() : pdu.isWrite())
            {
                result.add(pdu);
            }
        }
        return result;
    }

    /** @return the read or write capsule for this SLBA, or null. */
    HostPdu capsuleFor(final long slba)
    {
        for (final HostPdu pdu : hostPdus())
        {
            if ((pdu.isRead() || pdu.isWrite()) && pdu.sqe().slba() == slba)
            {
                return pdu;
            }
        }
        return null;
    }

    // ---- the controller's PDUs, from the test thread ----

    /**
     * One C2HData PDU for {@code cid}: as DATA with its digests, or as PDU_HEADER then DDP_PLACE pieces of the given
     * sizes (the last flagged LAST, with SUCCESS when the PDU has it, plus {@code lastPieceFlags}; every piece
     * {@code pieceFlags}).
     *
     * @return the PDU's offset in the controller-to-host stream.
     */
    long sendC2H(final int cid, final long datao, final byte[] data, final boolean last, final boolean success,
        final int pieceFlags, final int lastPieceFlags, final int... pieces)
    {
        return call(p -> p.queueC2H(cid, datao, data, last, success, pieceFlags, lastPieceFlags, pieces));
    }

    /** As {@link #sendC2H}, plain pieces. */
    long sendC2H(final int cid, final long datao, final byte[] data, final boolean last, final int... pieces)
    {
        return sendC2H(cid, datao, data, last, false, 0, 0, pieces);
    }

    /**
     * As DATA: one C2HData whose data digest is wrong (software path).
     *
     * @return its stream offset.
     */
    long sendC2HCorrupt(final int cid, final long datao, final byte[] data, final boolean last)
    {
        return call(p ->
        {
            final C2HDataPdu c2h = new C2HDataPdu().wrap(p.scratch, 0)
                .write(p.headerDigest, p.dataDigest, 0, cid, datao, data.length, last, false);
            MemorySegment.copy(data, 0, p.scratch, ValueLayout.JAVA_BYTE, c2h.dataOffset(), data.length);
            c2h.writeHeaderDigest(p.crc);
            c2h.writeDataDigest(p.crc);
            final long digestAt = c2h.plen() - 4;
            p.scratch.set(ValueLayout.JAVA_BYTE, digestAt, (byte)~p.scratch.get(ValueLayout.JAVA_BYTE, digestAt));
            final long at = p.c2hQueued;
            p.queueData(p.scratch.asSlice(0, c2h.plen()).toArray(ValueLayout.JAVA_BYTE));
            return at;
        });
    }

    /** CapsuleResp, as DATA or PDU_HEADER; returns its stream offset. */
    long sendResp(final int cid, final int status, final long result)
    {
        return call(p ->
        {
            final CapsuleRespPdu resp = new CapsuleRespPdu().wrap(p.scratch, 0)
                .write(p.headerDigest, (int)result, (int)(result >>> 32), 0, 1, cid, status);
            resp.writeHeaderDigest(p.crc);
            return p.queueHeaderOnlyPdu(resp.hlen(), resp.plen());
        });
    }

    long sendResp(final int cid, final int status)
    {
        return sendResp(cid, status, 0);
    }

    /** R2T, as DATA or PDU_HEADER; returns its stream offset. */
    long sendR2T(final int cid, final int ttag, final long r2to, final long r2tl)
    {
        return call(p ->
        {
            final R2TPdu r2t = new R2TPdu().wrap(p.scratch, 0).write(p.headerDigest, cid, ttag, r2to, r2tl);
            r2t.writeHeaderDigest(p.crc);
            return p.queueHeaderOnlyPdu(r2t.hlen(), r2t.plen());
        });
    }

    /** C2HTermReq (header only, no data), as DATA or PDU_HEADER; returns its stream offset. */
    long sendC2HTermReq(final int fes, final long fei)
    {
        return call(p ->
        {
            final TermReqPdu t = new TermReqPdu().wrap(p.scratch, 0).write(NvmeTcp.TYPE_C2H_TERM_REQ, fes, fei, 0);
            return p.queueHeaderOnlyPdu(t.hlen(), t.plen());
        });
    }

    /** A raw PDU_HEADER carrying {@code header} and standing for {@code streamBytes} of the stream. */
    void sendPduHeader(final byte[] header, final long streamBytes)
    {
        run(p -> p.queuePduHeader(header, streamBytes));
    }

    /** A raw DDP_PLACE. */
    void sendPlace(final int cid, final int flags, final long dataOffset, final byte[] bytes, final long streamBytes)
    {
        run(p -> p.queuePlace(cid, flags, dataOffset, bytes, streamBytes));
    }

    /**
     * The header (HLEN bytes, no digest) of a C2HData PDU, for {@link #sendPduHeader}.
     *
     * @return {header bytes, as a byte[]}; the stream bytes the header part stands for are PDO.
     */
    byte[] c2hHeader(final int cid, final long datao, final long datal, final boolean last, final boolean success)
    {
        return call(p ->
        {
            final C2HDataPdu c2h = new C2HDataPdu().wrap(p.scratch, 0)
                .write(p.headerDigest, p.dataDigest, 0, cid, datao, datal, last, success);
            return p.scratch.asSlice(0, c2h.hlen()).toArray(ValueLayout.JAVA_BYTE);
        });
    }

    void sendResyncRequest(final long streamOffset)
    {
        run(p ->
        {
            final MemorySegment m = p.scratch;
            p.resync.wrap(m, 0, UlpMessages.RESYNC_REQUEST_LENGTH).writeRequest(streamOffset);
            p.queue(TYPE_NVME_RESYNC_REQUEST, m.asSlice(0, UlpMessages.RESYNC_REQUEST_LENGTH)
                .toArray(ValueLayout.JAVA_BYTE), 0);
        });
    }

    void sendTeardown(final int cid, final int reason)
    {
        run(p ->
        {
            p.teardown.wrap(p.scratch, 0, UlpMessages.TEARDOWN_LENGTH).write(cid, reason);
            p.queue(TYPE_NVME_DDP_TEARDOWN, p.scratch.asSlice(0, UlpMessages.TEARDOWN_LENGTH)
                .toArray(ValueLayout.JAVA_BYTE), 0);
        });
    }

    /** ERROR then RESET, as the proxy ends a socket whose stream it cannot follow (in order after what is queued). */
    void sendErrorAndReset(final int errno, final int offendingType, final String text)
    {
        run(p ->
        {
            final int length = SocketErrorFlyweight.lengthFor(text);
            new SocketErrorFlyweight().wrap(p.scratch, 0, length).write(errno, offendingType, text);
            p.queue(XtsFrameDescriptor.TYPE_SOCKET_ERROR,
                p.scratch.asSlice(0, length).toArray(ValueLayout.JAVA_BYTE), 0);
            new SocketResetFlyweight().wrap(p.scratch, 0, SocketResetFlyweight.LENGTH)
                .errno(errno);
            p.queue(TYPE_SOCKET_RESET, p.scratch.asSlice(0, SocketResetFlyweight.LENGTH)
                .toArray(ValueLayout.JAVA_BYTE), 0);
        });
    }

    /** The whole C2HData PDU with its digests, as the controller puts it on the wire. */
    byte[] c2hPduBytes(final int cid, final long datao, final byte[] data, final boolean last)
    {
        return call(p ->
        {
            final C2HDataPdu c2h = new C2HDataPdu().wrap(p.scratch, 0)
                .write(p.headerDigest, p.dataDigest, 0, cid, datao, data.length, last, false);
            MemorySegment.copy(data, 0, p.scratch, ValueLayout.JAVA_BYTE, c2h.dataOffset(), data.length);
            c2h.writeHeaderDigest(p.crc);
            c2h.writeDataDigest(p.crc);
            return p.scratch.asSlice(0, c2h.plen()).toArray(ValueLayout.JAVA_BYTE);
        });
    }

    /** The whole CapsuleResp PDU with its digest. */
    byte[] respPduBytes(final int cid, final int status)
    {
        return call(p ->
        {
            final CapsuleRespPdu resp = new CapsuleRespPdu().wrap(p.scratch, 0)
                .write(p.headerDigest, 0, 0, 0, 1, cid, status);
            resp.writeHeaderDigest(p.crc);
            return p.scratch.asSlice(0, resp.plen()).toArray(ValueLayout.JAVA_BYTE);
        });
    }

    /** Raw stream bytes as DATA (any split of the PDUs); returns the offset of the first. */
    long sendData(final byte[] bytes)
    {
        return call(p ->
        {
            final long at = p.c2hQueued;
            p.queueData(bytes);
            return at;
        });
    }

    /** What a read of {@code length} bytes at {@code lba} returns when {@link #autoReads} answers it. */
    static byte[] disk(final long lba, final int length)
    {
        final byte[] b = new byte[length];
        new Random(lba * 0x9E3779B97F4A7C15L).nextBytes(b);
        return b;
    }

    // ---- queueing (proxy thread) ----

    private long queueC2H(final int cid, final long datao, final byte[] data, final boolean last,
        final boolean success, final int pieceFlags, final int lastPieceFlags, final int... pieces)
    {
        final C2HDataPdu c2h = new C2HDataPdu().wrap(scratch, 0)
            .write(headerDigest, dataDigest, 0, cid, datao, data.length, last, success);
        MemorySegment.copy(data, 0, scratch, ValueLayout.JAVA_BYTE, c2h.dataOffset(), data.length);
        c2h.writeHeaderDigest(crc);
        c2h.writeDataDigest(crc);
        final long at = c2hQueued;
        if (!ulpMode)
        {
            queueData(scratch.asSlice(0, c2h.plen()).toArray(ValueLayout.JAVA_BYTE));
            return at;
        }
        queuePduHeader(scratch.asSlice(0, c2h.hlen()).toArray(ValueLayout.JAVA_BYTE), c2h.dataOffset());
        int offset = 0;
        final int[] sizes = 0 == pieces.length ? new int[] {data.length} : pieces;
        for (int i = 0; i < sizes.length; i++)
        {
            final boolean lastPiece = i == sizes.length - 1;
            int flags = pieceFlags;
            if (lastPiece)
            {
                flags |= UlpMessages.PLACE_LAST | lastPieceFlags | (success ? UlpMessages.PLACE_SUCCESS : 0);
            }
            queuePlace(cid, flags, datao + offset, Arrays.copyOfRange(data, offset, offset + sizes[i]),
                sizes[i] + (lastPiece && dataDigest ? 4 : 0));
            offset += sizes[i];
        }
        if (offset != data.length)
        {
            throw new IllegalArgumentException("pieces of " + offset + " bytes for " + data.length);
        }
        return at;
    }

    private void queue(final int type, final byte[] body, final long streamBytes)
    {
        out.add(new Out(type, body, streamBytes));
        c2hQueued += streamBytes;
    }

    private void queueData(final byte[] bytes)
    {
        final int max = Math.min(link.maxMessageLength(), 1024);
        for (int at = 0; at < bytes.length; at += max)
        {
            final byte[] chunk = Arrays.copyOfRange(bytes, at, Math.min(bytes.length, at + max));
            queue(TYPE_SOCKET_DATA, chunk, chunk.length);
        }
    }

    private void queuePduHeader(final byte[] header, final long streamBytes)
    {
        final byte[] body = new byte[UlpMessages.PDU_HEADER_PDU_OFFSET + header.length];
        System.arraycopy(header, 0, body, UlpMessages.PDU_HEADER_PDU_OFFSET, header.length);
        queue(TYPE_NVME_PDU_HEADER, body, streamBytes);
    }

    private void queuePlace(final int cid, final int flags, final long dataOffset, final byte[] bytes,
        final long streamBytes)
    {
        final int length = UlpMessages.PLACE_HEADER_LENGTH + bytes.length;
        place.wrap(scratch, 512 * 1024, length).writeHeader(cid, flags, dataOffset);
        MemorySegment.copy(bytes, 0, scratch, ValueLayout.JAVA_BYTE, 512 * 1024 + UlpMessages.PLACE_HEADER_LENGTH,
            bytes.length);
        queue(TYPE_NVME_DDP_PLACE, scratch.asSlice(512 * 1024, length).toArray(ValueLayout.JAVA_BYTE), streamBytes);
    }

    /** The PDU in scratch (header, digest, no data) as DATA or PDU_HEADER. */
    private long queueHeaderOnlyPdu(final int hlen, final long plen)
    {
        final long at = c2hQueued;
        if (ulpMode)
        {
            queuePduHeader(scratch.asSlice(0, hlen).toArray(ValueLayout.JAVA_BYTE), plen);
        }
        else
        {
            queueData(scratch.asSlice(0, plen).toArray(ValueLayout.JAVA_BYTE));
        }
        return at;
    }

    private void ulpResult(final int errno, final int state, final long streamOffset)
    {
        final byte[] body = new byte[UlpMessages.RESULT_LENGTH];
        result.wrap(scratch, 0, UlpMessages.RESULT_LENGTH).write(errno, state, streamOffset);
        MemorySegment.copy(scratch, ValueLayout.JAVA_BYTE, 0, body, 0, body.length);
        queue(TYPE_NVME_ULP_RESULT, body, 0);
        if (0 == errno && UlpMessages.RESULT_IN_SYNC == state)
        {
            ulpMode = true;
        }
    }

    private int pump()
    {
        if (LinkState.UP != link.state() || -1 == socketId || closedByApp)
        {
            return 0;
        }
        int work = 0;
        Out o;
        while (null != (o = out.peek()))
        {
            if (c2hSent + o.streamBytes > appLimit)
            {
                creditStalls++;
                break;
            }
            final long body = link.claim(o.type, socketId, o.body.length);
            if (body < 0)
            {
                break;
            }
            MemorySegment.copy(o.body, 0, link.memory(), ValueLayout.JAVA_BYTE, body, o.body.length);
            c2hSent += o.streamBytes;
            out.poll();
            work++;
        }
        return work;
    }

    // ---- from the app ----

    @Override
    public boolean onMessage(final int type, final int id, final MemorySegment memory, final long offset,
        final int length)
    {
        if (TYPE_SOCKET_CONNECT == type)
        {
            onConnect(id, memory, offset, length);
            return true;
        }
        if (id != socketId)
        {
            violations.add("message " + type + " for unknown socket id " + id);
            return true;
        }
        appMessageTypes.add(type);
        switch (type)
        {
            case TYPE_SOCKET_DATA -> onData(memory, offset, length);
            case TYPE_SOCKET_CREDIT ->
            {
                credit.wrap(memory, offset, length);
                credits.add(new Credit(credit.position(), credit.window(), c2hSent));
                appLimit = Math.max(appLimit, credit.position() + credit.window());
            }
            case TYPE_SOCKET_SET_OPTION ->
            {
                setOption.wrap(memory, offset, length);
                final long body = claim(TYPE_SOCKET_OPTION_RESULT, OptionResultFlyweight.LENGTH);
                optionResult.wrap(link.memory(), body, OptionResultFlyweight.LENGTH).option(setOption.option())
                    .errno(0).value(setOption.value());
            }
            case TYPE_NVME_ULP_PUSH ->
            {
                push.wrap(memory, offset, length);
                if (!push.isComplete())
                {
                    violations.add("ULP_PUSH of " + length + " bytes");
                    return true;
                }
                pushes.add(new UlpPush(push.ulp(), push.flags(), push.cpda(), push.hpda(), push.maxH2cData(),
                    push.c2hConsumed(), push.h2cSent(), push.qid(), push.qsize(), h2cLength, c2hSent));
                if (autoAnswer)
                {
                    ulpResult(answerErrno, answerState, push.c2hConsumed());
                }
            }
            case TYPE_NVME_DDP_SETUP ->
            {
                setup.wrap(memory, offset, length);
                setups.add(new DdpSetup(setup.cid(), setup.bufferLength(), h2cLength));
            }
            case TYPE_NVME_DDP_TEARDOWN ->
            {
                teardown.wrap(memory, offset, length);
                teardowns.add(new Teardown(teardown.cid(), teardown.reason()));
            }
            case TYPE_NVME_RESYNC_RESPONSE ->
            {
                resync.wrap(memory, offset, length);
                if (!resync.isResponse())
                {
                    violations.add("RESYNC_RESPONSE of " + length + " bytes");
                }
                resyncResponses.add(new ResyncResponse(resync.streamOffset(), resync.confirmed()));
            }
            case TYPE_SOCKET_CLOSE, TYPE_SOCKET_RESET -> closedByApp = true;
            default ->
            {
            }
        }
        return true;
    }

    private long claim(final int type, final int length)
    {
        final long body = link.claim(type, socketId, length);
        if (body < 0)
        {
            throw new IllegalStateException("scripted offload proxy: link full for message " + type);
        }
        return body;
    }

    private void onConnect(final int id, final MemorySegment memory, final long offset, final int length)
    {
        connect.wrap(memory, offset, length);
        if (-1 != socketId)
        {
            violations.add("a second CONNECT (id " + id + ")");
        }
        socketId = id;
        appLimit = connect.receiveWindow();
        final long body = claim(TYPE_SOCKET_CONNECT_RESULT, EstablishedFlyweight.LENGTH);
        established.wrap(link.memory(), body, EstablishedFlyweight.LENGTH).errno(0).sendWindow(SEND_WINDOW)
            .local(PROXY_LOCAL).remote(connect.remote());
    }

    private void onData(final MemorySegment memory, final long offset, final int length)
    {
        if (h2cLength + length > grantedToApp)
        {
            violations.add("DATA past our credit: " + (h2cLength + length) + " > " + grantedToApp);
        }
        if (h2cLength + length > h2c.length)
        {
            h2c = Arrays.copyOf(h2c, Math.max(2 * h2c.length, h2cLength + length));
        }
        MemorySegment.copy(memory, ValueLayout.JAVA_BYTE, offset, h2c, h2cLength, length);
        h2cLength += length;
        if (h2cLength - advertisedToApp >= SEND_WINDOW / 4)
        {
            final long body = claim(TYPE_SOCKET_CREDIT, StreamCreditFlyweight.LENGTH);
            credit.wrap(link.memory(), body, StreamCreditFlyweight.LENGTH).write(h2cLength, SEND_WINDOW);
            advertisedToApp = h2cLength;
            grantedToApp = h2cLength + SEND_WINDOW;
        }
        while (h2cLength - parsedTo >= 8)
        {
            final int plen = ByteBuffer.wrap(h2c, parsedTo + 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
            if (plen < 8 || plen > 1 << 20)
            {
                violations.add("host PDU at " + parsedTo + " with PLEN " + plen);
                parsedTo = h2cLength;
                return;
            }
            if (h2cLength - parsedTo < plen)
            {
                return;
            }
            final HostPdu pdu = new HostPdu(parsedTo, Arrays.copyOfRange(h2c, parsedTo, parsedTo + plen));
            parsedTo += plen;
            hostPdus.add(pdu);
            onHostPdu(pdu);
        }
    }

    private void onHostPdu(final HostPdu pdu)
    {
        switch (pdu.type())
        {
            case NvmeTcp.TYPE_IC_REQ ->
            {
                final ICReqPdu req = new ICReqPdu().wrap(pdu.segment(), 0);
                headerDigest = req.headerDigest();
                dataDigest = req.dataDigest();
                new ICRespPdu().wrap(scratch, 0).write(cpda, headerDigest, dataDigest, maxH2cData);
                queueData(scratch.asSlice(0, ICRespPdu.LENGTH).toArray(ValueLayout.JAVA_BYTE));
            }
            case NvmeTcp.TYPE_CAPSULE_CMD ->
            {
                final Sqe sqe = pdu.sqe();
                if (sqe.isFabrics() && NvmeTcp.FCTYPE_CONNECT == sqe.fctype())
                {
                    final CapsuleRespPdu resp = new CapsuleRespPdu().wrap(scratch, 0)
                        .write(headerDigest, CNTLID, 0, 0, sqe.connectQid(), sqe.cid(), 0);
                    resp.writeHeaderDigest(crc);
                    queueHeaderOnlyPdu(resp.hlen(), resp.plen());
                }
                else if (autoReads && pdu.isRead())
                {
                    final int length = (int)sqe.sglLength();
                    final int piece = autoReadPiece;
                    final int[] pieces = new int[(length + piece - 1) / piece];
                    for (int i = 0; i < pieces.length; i++)
                    {
                        pieces[i] = Math.min(piece, length - piece * i);
                    }
                    queueC2H(sqe.cid(), 0, disk(sqe.slba(), length), true, false, 0, 0, pieces);
                    final CapsuleRespPdu resp = new CapsuleRespPdu().wrap(scratch, 0)
                        .write(headerDigest, 0, 0, 0, 1, sqe.cid(), 0);
                    resp.writeHeaderDigest(crc);
                    queueHeaderOnlyPdu(resp.hlen(), resp.plen());
                }
            }
            case NvmeTcp.TYPE_H2C_DATA, NvmeTcp.TYPE_H2C_TERM_REQ ->
            {
            }
            default -> violations.add("unexpected host PDU type " + pdu.type() + " at " + pdu.streamOffset());
        }
    }

    /** The H2CData PDUs the app sent, in order. */
    List<HostPdu> h2cDataPdus()
    {
        final List<HostPdu> result = new ArrayList<>();
        for (final HostPdu pdu : hostPdus())
        {
            if (NvmeTcp.TYPE_H2C_DATA == pdu.type())
            {
                result.add(pdu);
            }
        }
        return result;
    }

    /** @return a view of an H2CData PDU's header fields. */
    static H2CDataPdu h2cView(final HostPdu pdu)
    {
        return new H2CDataPdu().wrap(pdu.segment(), 0);
    }
}
