package io.xts.link;

import io.xts.protocol.FrameValidator;
import io.xts.protocol.HelloFlyweight;
import io.xts.protocol.LinkErrorFlyweight;
import io.xts.protocol.MalformedReason;
import io.xts.protocol.MessageReader;
import io.xts.protocol.MessageWriter;
import io.xts.protocol.ResetFlyweight;
import io.xts.protocol.XtsFrameDescriptor;
import io.xts.protocol.XtsFrameFlyweight;
import org.agrona.BitUtil;
import org.agrona.collections.Long2LongHashMap;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.ThreadLocalRandom;

import static io.xts.protocol.XtsFrameDescriptor.BIG_ENDIAN_LONG;
import static io.xts.protocol.XtsFrameDescriptor.FLAG_AUTH;
import static io.xts.protocol.XtsFrameDescriptor.FLAG_GAP;
import static io.xts.protocol.XtsFrameDescriptor.FLAG_UP;
import static io.xts.protocol.XtsFrameDescriptor.FRAME_OVERHEAD;
import static io.xts.protocol.XtsFrameDescriptor.HEADER_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.HELLO_AUTH_LENGTH;
import static io.xts.protocol.XtsFrameDescriptor.HELLO_LENGTH;
import static io.xts.protocol.XtsFrameDescriptor.KIND_ACK;
import static io.xts.protocol.XtsFrameDescriptor.KIND_DATA;
import static io.xts.protocol.XtsFrameDescriptor.KIND_HELLO;
import static io.xts.protocol.XtsFrameDescriptor.KIND_RESET;
import static io.xts.protocol.XtsFrameDescriptor.LINK_ERROR_UNKNOWN_TYPE;
import static io.xts.protocol.XtsFrameDescriptor.MAX_CONTROL_MESSAGE_LENGTH;
import static io.xts.protocol.XtsFrameDescriptor.MESSAGE_HEADER_LENGTH;
import static io.xts.protocol.XtsFrameDescriptor.MIN_LINK_FRAME_SIZE;
import static io.xts.protocol.XtsFrameDescriptor.RESET_AUTH_LENGTH;
import static io.xts.protocol.XtsFrameDescriptor.RESET_AUTH_REQUIRED;
import static io.xts.protocol.XtsFrameDescriptor.RESET_SHUTDOWN;
import static io.xts.protocol.XtsFrameDescriptor.RESET_VERSION_MISMATCH;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_LINK_ERROR;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_STREAM_CREDIT;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_STREAM_DATA;
import static io.xts.protocol.XtsFrameDescriptor.isNvmeType;
import static io.xts.protocol.XtsFrameDescriptor.isSocketType;
import static io.xts.protocol.XtsFrameDescriptor.serialAfter;
import static io.xts.protocol.XtsFrameDescriptor.serialBefore;

/**
 * One end of the XTS link (docs/PROTOCOL.md): a lossless, ordered, credit-flow-controlled message channel over a
 * {@link FrameTransport}. It does the handshake (versions, epochs), packs messages into DATA frames, never sends a
 * frame the peer has not granted credit for, keeps every DATA frame until it is acknowledged and sends them again
 * from the oldest on a gap report or a timeout (go-back-N), drops duplicates and out-of-order frames, sends
 * heartbeats, declares a silent peer dead, and fails everything of an old epoch when the peer restarts.
 * <p>
 * Single-threaded and driven by {@link #doWork(long)} with the caller's clock, like an Agrona agent; nothing is
 * allocated per frame or message. Memory is bounded: the transport's frames, the retention ring and the held queue,
 * all sized at construction; a full link refuses {@link #offer} rather than growing.
 * <p>
 * A listener may keep a received frame past its delivery, to use its bytes in place ({@link #retainDelivering()},
 * {@link #releaseRetained(long)}): a kept frame is not recycled, and the credit granted to the peer shrinks by one
 * frame for each, so what is kept is always backpressure on the sender, never loss. At most
 * {@link #retainLimit()} frames are kept at once, so the rest of the receive pool keeps the link moving.
 */
public final class XtsLink implements AutoCloseable
{
    private static final int RECEIVE_BATCH = 64;
    private static final int RETENTION = 1 << 16;
    private static final int MAX_BACKOFF = 32;
    /** Frames the link lets wait in the transport's queue: enough to keep the wire busy, short enough that a
     * retransmission is not stuck behind a long queue of its own frames. */
    private static final int TX_BACKLOG_LIMIT = 256;
    /** Acknowledge at least every this many accepted frames... */
    private static final int ACK_EVERY = 32;
    /** ...or this long after the first unacknowledged one (the default; see {@link #acknowledgeAtOnce}). */
    private static final long ACK_DELAY_NS = 20_000;
    private static final long QUEUED_RECHECK_NS = 100_000;
    private static final int RECEIVE_ROUNDS = 8;
    /** Smallest send window after losses, in frames. */
    private static final int MIN_WINDOW = 16;
    /** Most frames one {@link #claimBulk} reserves. */
    public static final int MAX_BULK = 32;
    /** In {@link #retainedRefs}: the frame's delivery is over and it is off the receive pool until released. */
    private static final long PARKED = 1L << 40;
    private static final long REFERENCES = PARKED - 1;

    private final FrameTransport transport;
    private final LinkConfig config;
    private final LinkListener listener;
    private final LinkCounters counters;
    private final MemorySegment memory;
    private final XtsFrameFlyweight tx = new XtsFrameFlyweight();
    private final XtsFrameFlyweight rx = new XtsFrameFlyweight();
    private final HelloFlyweight hello = new HelloFlyweight();
    private final ResetFlyweight reset = new ResetFlyweight();
    private final LinkErrorFlyweight linkError = new LinkErrorFlyweight();
    private final MessageWriter writer = new MessageWriter();
    private final MessageReader reader = new MessageReader();
    private final FrameTransport.FrameHandler frameHandler = this::onFrame;
    private final int epoch;
    private final int receiveCapacity;

    private LinkState state = LinkState.CONNECTING;
    private int peerEpoch;
    /** Where frames go: broadcast (the config's) until the handshake names the peer, then the peer's MAC. */
    private long dstMac;
    /** The peer's MAC, learned from the HELLO that brought the link up; valid while {@link #peerLearned}. */
    private long peerMac;
    private boolean peerLearned;
    /** When this link last answered a HELLO it cannot accept with a refusal (refusals are rate-limited). */
    private long lastRefusalNs;
    private long lastFilterReadNs;
    /** With a key: the nonce of this link life, which the peer's authenticated HELLO and RESET must echo. */
    private long ourNonce;
    /** With a key: the nonce of the peer's last authenticated HELLO, echoed in ours. */
    private long peerNonce;
    private int version;
    private int maxFrame;
    private String failure;

    // sender
    private int nextSeq;
    private int ackedSeq;
    /** Next retained frame to put on the wire: runs behind {@link #nextSeq} while paced, jumps back on go-back-N. */
    private int sendCursor;
    /** First sequence number never transmitted; frames before it sent again count as retransmissions. */
    private int highWater;
    private int peerLimit;
    private final long[] retained = new long[RETENTION];
    private final int[] retainedLength = new int[RETENTION];
    /** First transmission time of each retained frame, for round-trip samples (Karn: never from a resent frame). */
    private final long[] retainedSentNs = new long[RETENTION];
    private final boolean[] retainedResent = new boolean[RETENTION];
    /**
     * Send window in frames, on top of the peer's credit: go-back-N resends everything in flight after a loss, so on
     * a lossy medium a full credit window would be resent again and again. Halved once per loss episode, grown by a
     * frame per window of acknowledgements (AIMD, as TCP's congestion window), never above the credit.
     */
    private int sendWindow;
    private int slowStartThreshold;
    private int windowGrowth;
    private int recoveryUntil;
    private long smoothedRttNs;
    private long rttVarianceNs;
    private long building = -1;
    private int buildingMessages;
    private long lastProgressNs;
    private long retransmitTimeoutNs;
    private int lastGapServed = -1;
    private long lastGapServedNs;

    // receiver
    private int nextExpected;
    private int grantedLimit;
    private int advertisedLimit;
    private boolean ackDue;
    private int acceptedSinceAck;
    private long firstUnackedAtNs;
    /** How long an acknowledgement may wait for more frames or a reply to ride on: ACK_DELAY_NS, or 0. */
    private long ackDelayNs = ACK_DELAY_NS;
    private int gapNakFor = -1;
    private long gapNakNs;
    private final long[] heldFrame;
    /** Payload length of each held frame. */
    private final int[] heldLength;
    private int heldHead;
    private int heldCount;
    private int heldDelivered;
    /** Frames whose messages were all delivered this duty cycle: recycled after the listener's batch end. */
    private final long[] delivered;
    private int deliveredCount;
    /** The frame whose message the listener is being given, or -1. */
    private long deliveringFrame = -1;
    /** Received frames the listener kept ({@link #retainDelivering()}): references, with {@link #PARKED}. */
    private final Long2LongHashMap retainedRefs;
    /** The first exception a listener threw in this duty cycle, rethrown at its end. */
    private RuntimeException listenerFailure;
    /** Kept frames whose delivery is over: off the receive pool, not counted in held or delivered. */
    private int parkedFrames;
    private final int retainLimit;
    /** A {@link #claimBulk} reservation: frames not yet numbered, and the room of each. */
    private final long[] bulkFrames = new long[MAX_BULK];
    private final int[] bulkRoom = new int[MAX_BULK];
    private int bulkCount;
    private int bulkType;
    private int bulkStreamId;

    private long nowNs;
    private long lastSentNs;
    private long lastReceivedNs;
    private long lastHelloNs;

    /**
     * @param transport the medium; owned by the caller.
     * @param config    settings.
     * @param listener  gets messages and link events.
     * @param counters  where events are counted.
     * @param nowNs     the current time.
     */
    public XtsLink(
        final FrameTransport transport, final LinkConfig config, final LinkListener listener,
        final LinkCounters counters, final long nowNs)
    {
        this(transport, config, listener, counters, nowNs, newEpoch());
    }

    XtsLink(
        final FrameTransport transport, final LinkConfig config, final LinkListener listener,
        final LinkCounters counters, final long nowNs, final int epoch)
    {
        if (0 == epoch)
        {
            throw new IllegalArgumentException("epoch must be non-zero");
        }
        this.transport = transport;
        this.config = config;
        this.listener = listener;
        this.counters = counters;
        this.memory = transport.memory();
        this.epoch = epoch;
        this.dstMac = config.dstMac();
        this.ourNonce = newNonce();
        if (transport.maxFrameLength() < MIN_LINK_FRAME_SIZE)
        {
            throw new IllegalArgumentException("frames of at most " + transport.maxFrameLength() + " bytes leave no " +
                "room for a control message of " + MAX_CONTROL_MESSAGE_LENGTH + " bytes: at least " +
                MIN_LINK_FRAME_SIZE + " needed");
        }
        this.receiveCapacity = transport.receiveCapacity();
        if (receiveCapacity <= config.creditReserve())
        {
            throw new IllegalArgumentException("receive capacity " + receiveCapacity + " must exceed the credit " +
                "reserve " + config.creditReserve());
        }
        heldFrame = new long[receiveCapacity];
        heldLength = new int[receiveCapacity];
        delivered = new long[receiveCapacity];
        retainLimit = Math.max(1, (receiveCapacity - config.creditReserve()) / 2);
        // Sized so that it never grows: at most retainLimit keys, well under the load factor.
        retainedRefs = new Long2LongHashMap(BitUtil.findNextPositivePowerOfTwo(4 * retainLimit), 0.5f, 0);
        this.nowNs = nowNs;
        lastReceivedNs = nowNs;
        lastHelloNs = nowNs - config.heartbeatIntervalNs();
        resetSequenceState();
    }

    private static long newNonce()
    {
        long n;
        do
        {
            n = ThreadLocalRandom.current().nextLong();
        }
        while (0 == n);
        return n;
    }

    private static int newEpoch()
    {
        int e;
        do
        {
            e = ThreadLocalRandom.current().nextInt();
        }
        while (0 == e);
        return e;
    }

    /**
     * @return this end's epoch.
     */
    public int epoch()
    {
        return epoch;
    }

    /**
     * @return the peer's epoch, 0 before the handshake.
     */
    public int peerEpoch()
    {
        return peerEpoch;
    }

    /**
     * @return whether the handshake named the peer: from then until the link goes down only its frames count.
     */
    public boolean peerLearned()
    {
        return peerLearned;
    }

    /**
     * @return the peer's MAC (low 48 bits) learned at the handshake, while {@link #peerLearned()}.
     */
    public long peerMac()
    {
        return peerMac;
    }

    /**
     * @return where the link is.
     */
    public LinkState state()
    {
        return state;
    }

    /**
     * @return why the link failed or last went down, or null.
     */
    public String failure()
    {
        return failure;
    }

    /**
     * @return the counters.
     */
    public LinkCounters counters()
    {
        return counters;
    }

    /**
     * @return DATA frames sent and not yet acknowledged.
     */
    public int unacknowledged()
    {
        return nextSeq - ackedSeq;
    }

    /**
     * @return true when every offered message has been sent and acknowledged.
     */
    public boolean drained()
    {
        return -1 == building && nextSeq == ackedSeq;
    }

    /**
     * @return the sequence number of the next new DATA frame.
     */
    public int nextSeq()
    {
        return nextSeq;
    }

    /**
     * @return the credit limit the peer granted last.
     */
    public int peerLimit()
    {
        return peerLimit;
    }

    /**
     * From inside {@link LinkListener#onMessage}: keep the frame that carries the message being delivered after its
     * delivery, so that its body can be used in place. Each call takes one reference, given back by one
     * {@link #releaseRetained(long)}; the frame goes back to the receive pool when the last is given back. Until then
     * it counts against the credit granted to the peer.
     *
     * @return the frame's handle, or -1 when {@link #retainLimit()} frames are kept already (use the body now).
     * @throws IllegalStateException outside {@link LinkListener#onMessage}.
     */
    public long retainDelivering()
    {
        final long frame = deliveringFrame;
        if (-1 == frame)
        {
            throw new IllegalStateException("retainDelivering() outside LinkListener.onMessage");
        }
        final long refs = retainedRefs.get(frame);
        if (0 == refs)
        {
            if (retainedRefs.size() >= retainLimit)
            {
                return -1;
            }
            retainedRefs.put(frame, 1);
        }
        else
        {
            retainedRefs.put(frame, refs + 1);
        }
        return frame;
    }

    /**
     * Give back one reference {@link #retainDelivering()} took; on the thread that drives the link. After
     * {@link #close()} the frame is only forgotten (the transport is its owner's to free).
     *
     * @param frame the handle it returned.
     * @throws IllegalStateException when the frame holds no reference.
     */
    public void releaseRetained(final long frame)
    {
        final long refs = retainedRefs.get(frame);
        if (0 == (refs & REFERENCES))
        {
            throw new IllegalStateException("frame " + frame + " is not retained");
        }
        if (1 == (refs & REFERENCES))
        {
            retainedRefs.remove(frame);
            if (0 != (refs & PARKED))
            {
                parkedFrames--;
                if (LinkState.CLOSED != state)
                {
                    transport.recycle(frame);
                }
            }
        }
        else
        {
            retainedRefs.put(frame, refs - 1);
        }
    }

    /**
     * @return received frames kept by the listener now ({@link #retainDelivering()}).
     */
    public int retainedFrames()
    {
        return retainedRefs.size();
    }

    /**
     * @return most received frames kept at once: half the receive pool above the credit reserve.
     */
    public int retainLimit()
    {
        return retainLimit;
    }

    /**
     * @return the largest message body one frame carries on this link.
     */
    public int maxMessageLength()
    {
        return Math.min(maxFrame, transport.maxFrameLength()) - FRAME_OVERHEAD - 8;
    }

    /**
     * Queue a message for the peer. It rides in the DATA frame being filled, which is sent when full or at the end of
     * the duty cycle.
     *
     * @param type     message type.
     * @param streamId stream id.
     * @param src      body memory.
     * @param offset   body offset.
     * @param length   body length, at most {@link #maxMessageLength()}.
     * @return false when the link cannot take it now (not up, no credit, no free frame): try again later.
     */
    public boolean offer(
        final int type, final int streamId, final MemorySegment src, final long offset, final int length)
    {
        if (LinkState.UP != state)
        {
            return false;
        }
        if (length > maxMessageLength())
        {
            throw new IllegalArgumentException("message of " + length + " bytes exceeds the link's maximum of " +
                maxMessageLength());
        }
        if (-1 == building && !startFrame())
        {
            return false;
        }
        if (!writer.append(type, streamId, src, offset, length))
        {
            sendBuilding();
            if (!startFrame() || !writer.append(type, streamId, src, offset, length))
            {
                return false;
            }
        }
        buildingMessages++;
        counters.messagesSent.incrementRelease();
        return true;
    }

    /**
     * Zero-copy send: reserve a message in the DATA frame being filled and return where its body goes in
     * {@link #memory()}, for the caller to write the {@code length} bytes there before the next call into this link
     * (the frame leaves at the end of the duty cycle, or when a later message does not fit).
     *
     * @param type     message type.
     * @param streamId stream id.
     * @param length   body length, at most {@link #maxMessageLength()}.
     * @return offset of the body in {@link #memory()}, or -1 when the link cannot take it now (as {@link #offer}).
     */
    public long claim(final int type, final int streamId, final int length)
    {
        if (LinkState.UP != state)
        {
            return -1;
        }
        if (length > maxMessageLength())
        {
            throw new IllegalArgumentException("message of " + length + " bytes exceeds the link's maximum of " +
                maxMessageLength());
        }
        if (-1 == building && !startFrame())
        {
            return -1;
        }
        long body = writer.claim(type, streamId, length);
        if (body < 0)
        {
            sendBuilding();
            if (!startFrame())
            {
                return -1;
            }
            body = writer.claim(type, streamId, length);
            if (body < 0)
            {
                return -1;
            }
        }
        buildingMessages++;
        counters.messagesSent.incrementRelease();
        return body;
    }

    /**
     * Zero-copy bulk send for a byte stream: reserve up to {@code bodyOffsets.length} DATA frames, each to carry one
     * message of {@code type} for {@code streamId} filling the frame, together at most {@code maxBytes} bytes of
     * body, so that the caller can fill them with one scattering read (a socket's {@code readv} straight into the
     * frames) and then {@link #commitBulk} what it got. The frame being filled is sent first, so the stream's bytes
     * keep their order. Nothing else may be called on this link between the two calls.
     *
     * @param type        message type.
     * @param streamId    stream id.
     * @param maxBytes    most body bytes wanted in all.
     * @param bodyOffsets filled with where each body goes in {@link #memory()}.
     * @param bodyLengths filled with the room of each body.
     * @return frames reserved, 0 when the link cannot take any now (not up, no credit, window or free frame).
     */
    public int claimBulk(
        final int type, final int streamId, final int maxBytes, final long[] bodyOffsets, final int[] bodyLengths)
    {
        if (LinkState.UP != state || maxBytes <= 0)
        {
            return 0;
        }
        sendBuilding();
        final int room = maxMessageLength();
        int left = maxBytes;
        int count = 0;
        while (count < Math.min(bodyOffsets.length, MAX_BULK) && left > 0)
        {
            final int seq = nextSeq + count;
            if (!serialBefore(seq, peerLimit) || seq - ackedSeq >= RETENTION)
            {
                counters.creditStalls.incrementRelease();
                break;
            }
            if (seq - ackedSeq >= sendWindow)
            {
                counters.windowStalls.incrementRelease();
                break;
            }
            final long frame = transport.acquire();
            if (-1 == frame)
            {
                counters.txFrameStalls.incrementRelease();
                break;
            }
            bulkFrames[count] = frame;
            bodyOffsets[count] = frame + FRAME_OVERHEAD + XtsFrameDescriptor.MESSAGE_HEADER_LENGTH;
            bodyLengths[count] = Math.min(room, left);
            left -= bodyLengths[count];
            count++;
        }
        bulkType = type;
        bulkStreamId = streamId;
        bulkCount = count;
        System.arraycopy(bodyLengths, 0, bulkRoom, 0, count);
        return count;
    }

    /**
     * Send what a {@link #claimBulk} reservation received: the first frames full, the next one cut to what is left,
     * the rest given back unsent.
     *
     * @param bytes body bytes written, in order, into the reserved bodies; at most their total room.
     */
    public void commitBulk(final int bytes)
    {
        int left = bytes;
        final int frameLength = Math.min(maxFrame, transport.maxFrameLength());
        for (int i = 0; i < bulkCount; i++)
        {
            final long frame = bulkFrames[i];
            final int n = Math.min(left, bulkRoom[i]);
            if (0 == n)
            {
                transport.release(frame);
                continue;
            }
            left -= n;
            tx.wrap(memory, frame, frameLength).writeHeader(
                dstMac, config.srcMac(), KIND_DATA, 0, 0, epoch, nextSeq, nextExpected, grantLimit());
            writer.wrap(memory, frame, frameLength);
            // The body is in place already: the claim rewrites only the message header and padding after it.
            writer.claim(bulkType, bulkStreamId, n);
            building = frame;
            buildingMessages = 1;
            counters.messagesSent.incrementRelease();
            sendBuilding();
        }
        bulkCount = 0;
        if (left > 0)
        {
            throw new IllegalArgumentException("committed " + bytes + " bytes, " + left + " more than reserved");
        }
    }

    /**
     * Detached zero-copy send: take a whole free TX frame for one message that the caller fills at its own pace,
     * also while other calls into this link (and its duty cycles) go on, then {@link #commitFrame} or
     * {@link #abortFrame}. The body starts at {@link #frameBody(long)} and has room for {@link #maxMessageLength()}
     * bytes. The frame is outside the link's sequence until committed, so a claim costs no credit; it is one frame of
     * the transport's TX pool while held.
     *
     * @return the frame's handle, or -1 when the link is not up or no TX frame is free now.
     */
    public long claimFrame()
    {
        if (LinkState.UP != state)
        {
            return -1;
        }
        final long frame = transport.acquire();
        if (-1 == frame)
        {
            counters.txFrameStalls.incrementRelease();
        }
        return frame;
    }

    /**
     * @param frame a handle from {@link #claimFrame()}.
     * @return the offset in {@link #memory()} where the frame's message body goes.
     */
    public static long frameBody(final long frame)
    {
        return frame + FRAME_OVERHEAD + MESSAGE_HEADER_LENGTH;
    }

    /**
     * Send a frame from {@link #claimFrame()} as one message of {@code length} bytes already written at
     * {@link #frameBody(long)}, after every message offered or claimed before (the frame being filled goes first).
     * When the link is not up, the frame is given back and nothing is sent. A frame claimed before the link went
     * down and came up again belongs to the old epoch's streams: abort it, never commit it.
     *
     * @param frame    the claimed frame.
     * @param type     message type.
     * @param streamId stream id.
     * @param length   body length, 1 to {@link #maxMessageLength()}.
     * @return true when sent (or dropped with a link that went down); false when the peer's credit or the send window
     *         has no room now: the frame stays claimed, commit again later.
     */
    public boolean commitFrame(final long frame, final int type, final int streamId, final int length)
    {
        if (LinkState.UP != state)
        {
            transport.release(frame);
            return true;
        }
        if (length <= 0 || length > maxMessageLength())
        {
            throw new IllegalArgumentException("message of " + length + " bytes: must be 1.." + maxMessageLength());
        }
        sendBuilding();
        if (!serialBefore(nextSeq, peerLimit) || nextSeq - ackedSeq >= RETENTION)
        {
            counters.creditStalls.incrementRelease();
            return false;
        }
        if (nextSeq - ackedSeq >= sendWindow)
        {
            counters.windowStalls.incrementRelease();
            return false;
        }
        final int frameLength = Math.min(maxFrame, transport.maxFrameLength());
        tx.wrap(memory, frame, frameLength).writeHeader(
            dstMac, config.srcMac(), KIND_DATA, 0, 0, epoch, nextSeq, nextExpected, grantLimit());
        writer.wrap(memory, frame, frameLength);
        // The body is in place already: the claim writes only the message header and the padding after it.
        writer.claim(type, streamId, length);
        building = frame;
        buildingMessages = 1;
        counters.messagesSent.incrementRelease();
        sendBuilding();
        return true;
    }

    /**
     * Give back a frame from {@link #claimFrame()} unsent.
     *
     * @param frame the claimed frame.
     */
    public void abortFrame(final long frame)
    {
        transport.release(frame);
    }

    /**
     * Shorten the message returned by the last successful {@link #claim} to the bytes actually written (a read from
     * a socket that returned less than the room claimed); 0 withdraws it. Call before any other call into this link.
     *
     * @param length bytes of body written, at most the length claimed.
     */
    public void trimClaim(final int length)
    {
        writer.trimLast(length);
        if (0 == length)
        {
            buildingMessages--;
            counters.messagesSent.decrementRelease();
        }
    }

    /**
     * @return the longest body a {@link #claim} can get in the frame being filled without starting a new frame, 0
     * when none is being filled.
     */
    public int claimableInFrame()
    {
        return -1 == building ? 0 : writer.maxBodyLength();
    }

    /**
     * @return the memory {@link #claim} offsets point into (the transport's frames).
     */
    public MemorySegment memory()
    {
        return memory;
    }

    private boolean startFrame()
    {
        if (!serialBefore(nextSeq, peerLimit) || nextSeq - ackedSeq >= RETENTION)
        {
            counters.creditStalls.incrementRelease();
            return false;
        }
        if (nextSeq - ackedSeq >= sendWindow)
        {
            counters.windowStalls.incrementRelease();
            return false;
        }
        final long frame = transport.acquire();
        if (-1 == frame)
        {
            counters.txFrameStalls.incrementRelease();
            return false;
        }
        building = frame;
        buildingMessages = 0;
        final int frameLength = Math.min(maxFrame, transport.maxFrameLength());
        tx.wrap(memory, frame, frameLength).writeHeader(
            dstMac, config.srcMac(), KIND_DATA, 0, 0, epoch, nextSeq, nextExpected, grantLimit());
        writer.wrap(memory, frame, frameLength);
        return true;
    }

    private void sendBuilding()
    {
        if (-1 == building)
        {
            return;
        }
        if (0 == buildingMessages)
        {
            transport.release(building);
            building = -1;
            return;
        }
        writer.commit();
        final int length = FRAME_OVERHEAD + writer.payloadLength();
        final int slot = nextSeq & (RETENTION - 1);
        retained[slot] = building;
        retainedLength[slot] = length;
        nextSeq++;
        building = -1;
        pump();
    }

    /**
     * Put retained frames on the wire from {@link #sendCursor}, in order, while the transport's queue is short:
     * first transmissions get a fresh acknowledgement and credit; frames before {@link #highWater} are
     * retransmissions after a go-back.
     */
    private int pump()
    {
        int sent = 0;
        while (serialBefore(sendCursor, nextSeq) && transport.transmitBacklog() < TX_BACKLOG_LIMIT)
        {
            final int slot = sendCursor & (RETENTION - 1);
            final long frame = retained[slot];
            final int length = retainedLength[slot];
            final boolean first = sendCursor == highWater;
            if (first)
            {
                // Not yet handed to the transport, so the header may still change.
                tx.wrap(memory, frame, length).ack(nextExpected).creditLimit(grantLimit());
            }
            if (!transmit(frame, length))
            {
                break;
            }
            if (first)
            {
                if (highWater == ackedSeq)
                {
                    lastProgressNs = nowNs;
                }
                retainedSentNs[slot] = nowNs;
                retainedResent[slot] = false;
                highWater++;
                ackSent();
            }
            else
            {
                retainedResent[slot] = true;
                counters.retransmits.incrementRelease();
            }
            sendCursor++;
            sent++;
        }
        return sent;
    }

    private void markAckDue()
    {
        if (!ackDue)
        {
            ackDue = true;
            firstUnackedAtNs = nowNs;
        }
    }

    private void ackSent()
    {
        ackDue = false;
        acceptedSinceAck = 0;
        advertisedLimit = grantedLimit;
    }

    private boolean transmit(final long frame, final int length)
    {
        if (!transport.transmit(frame, length))
        {
            transport.flush();
            if (!transport.transmit(frame, length))
            {
                return false;
            }
        }
        counters.framesSent.incrementRelease();
        counters.bytesSent.getAndAddRelease(length);
        lastSentNs = nowNs;
        return true;
    }

    /**
     * One duty cycle: receive and deliver, send what is queued, retransmit, acknowledge, heartbeat, check liveness.
     *
     * @param now current time in ns.
     * @return work done, 0 when idle (for the idle strategy).
     */
    public int doWork(final long now)
    {
        return doWork(now, false);
    }

    /**
     * One duty cycle, as {@link #doWork(long)}, maybe deferring the acknowledgement: the caller will consume what
     * this cycle delivers at once and run another cycle right after, whose frame (or acknowledgement) carries the
     * acknowledgement and the credit that consuming frees. A deferred acknowledgement still leaves after the usual
     * delay ({@code ACK_DELAY_NS} after the first unacknowledged frame), so deferring never starves the peer.
     *
     * @param now       current time in ns.
     * @param deferAcks skip the acknowledgements due by count and by credit in this cycle.
     * @return work done, 0 when idle (for the idle strategy).
     */
    public int doWork(final long now, final boolean deferAcks)
    {
        nowNs = now;
        if (LinkState.CLOSED == state)
        {
            return transport.receive(this::discard, RECEIVE_BATCH) + transport.flush();
        }
        int work = 0;
        for (int round = 0; round < RECEIVE_ROUNDS; round++)
        {
            final int n = transport.receive(frameHandler, RECEIVE_BATCH);
            work += n;
            if (n < RECEIVE_BATCH)
            {
                break;
            }
        }
        if (heldCount > 0)
        {
            work += deliverHeld();
        }
        finishDeliveries();
        if (null != listenerFailure)
        {
            final RuntimeException ex = listenerFailure;
            listenerFailure = null;
            throw ex;
        }
        if (LinkState.CONNECTING == state)
        {
            if (now - lastHelloNs >= config.heartbeatIntervalNs())
            {
                sendHello();
                work++;
            }
        }
        else if (LinkState.UP == state)
        {
            if (-1 != building)
            {
                sendBuilding();
                work++;
            }
            if (highWater != ackedSeq && now - lastProgressNs > retransmitTimeoutNs)
            {
                counters.retransmitTimeouts.incrementRelease();
                goBack(false);
                retransmitTimeoutNs = Math.min(retransmitTimeoutNs * 2, baseRetransmitTimeout() * MAX_BACKOFF);
                work++;
            }
            work += pump();
            if ((!deferAcks && (acceptedSinceAck >= ACK_EVERY || creditUpdateDue())) ||
                (ackDue && now - firstUnackedAtNs >= ackDelayNs))
            {
                sendControl(KIND_ACK, 0);
                work++;
            }
            else if (now - lastSentNs >= config.heartbeatIntervalNs())
            {
                sendControl(KIND_ACK, 0);
                counters.heartbeatsSent.incrementRelease();
                work++;
            }
            if (peerLearned && now - lastFilterReadNs >= config.heartbeatIntervalNs())
            {
                // One map lookup a heartbeat: what the XDP program dropped below us shows in the link's counters.
                lastFilterReadNs = now;
                counters.xdpForeignDrops.setRelease(transport.foreignDrops());
            }
            if (now - lastReceivedNs > config.deadTimeoutNs())
            {
                counters.deadPeers.incrementRelease();
                linkDown("peer dead: no frame for " + (now - lastReceivedNs) / 1_000_000 + " ms (timeout " +
                    config.deadTimeoutNs() / 1_000_000 + " ms)");
                work++;
            }
        }
        return work + transport.flush();
    }

    /**
     * The driving thread is about to sleep until a frame arrives: send the acknowledgement (and credit) it would
     * otherwise send after {@code ACK_DELAY_NS}, so that no timer has to wake it for that, and say how long it may
     * sleep before the link has something to do on its own (a retransmission, a heartbeat, a HELLO, the dead-peer
     * check). Frames from the peer end the sleep earlier; they are the link's other reason to run.
     *
     * @param now current time in ns.
     * @return nanoseconds until the link's next timer, at least 1; 0 when it has work now (run a cycle instead).
     */
    public long beforeSleep(final long now)
    {
        nowNs = now;
        if (LinkState.UP == state && (ackDue || creditUpdateDue()))
        {
            sendControl(KIND_ACK, 0);
            transport.flush();
        }
        long next;
        if (LinkState.CONNECTING == state)
        {
            next = lastHelloNs + config.heartbeatIntervalNs();
        }
        else if (LinkState.UP == state)
        {
            if (-1 != building || heldCount > 0)
            {
                return 0;
            }
            next = Math.min(lastSentNs + config.heartbeatIntervalNs(), lastReceivedNs + config.deadTimeoutNs() + 1);
            if (highWater != ackedSeq)
            {
                next = Math.min(next, lastProgressNs + retransmitTimeoutNs + 1);
            }
            if (serialBefore(sendCursor, nextSeq))
            {
                // Frames wait for the peer's credit (its frames wake the sleeper) or for room in the transport's
                // queue (which no frame signals): look again soon.
                next = Math.min(next, now + QUEUED_RECHECK_NS);
            }
        }
        else
        {
            next = now + config.heartbeatIntervalNs();
        }
        return Math.max(1, next - now);
    }

    private void discard(final MemorySegment mem, final long frame, final int length)
    {
        transport.recycle(frame);
    }

    private boolean creditUpdateDue()
    {
        final int limit = grantLimit();
        return limit - advertisedLimit >= Math.max(1, receiveCapacity >> 2);
    }

    private int grantLimit()
    {
        final int free = receiveCapacity - heldCount - deliveredCount - parkedFrames - config.creditReserve();
        final int limit = nextExpected + Math.max(free, 0);
        if (serialAfter(limit, grantedLimit))
        {
            grantedLimit = limit;
        }
        return grantedLimit;
    }

    /**
     * Go back N: send every unacknowledged frame again, from the oldest, paced by {@link #pump()}.
     */
    private void goBack(final boolean lossReported)
    {
        sendCursor = ackedSeq;
        lastProgressNs = nowNs;
        // A timeout before the first round-trip sample is no evidence of loss (a peer still warming up is slow to
        // acknowledge): resend, but keep the window.
        if ((lossReported || 0 != smoothedRttNs) && !serialBefore(ackedSeq, recoveryUntil))
        {
            // One reduction per loss episode: until what was in flight now is acknowledged.
            slowStartThreshold = Math.max(MIN_WINDOW, Math.min(sendWindow, highWater - ackedSeq) / 2);
            sendWindow = slowStartThreshold;
            recoveryUntil = highWater;
            counters.windowReductions.incrementRelease();
        }
        if (!lossReported)
        {
            // A timeout may be spurious (a slow receiver, a JIT pause): the peer may hold everything we resend, and
            // each duplicate still takes one of its fill-ring frames, which its credit did not count. Resend no more
            // than the credit reserve covers, as TCP's RTO collapses its window, and let slow start find the rate.
            sendWindow = Math.max(1, Math.min(sendWindow, config.creditReserve()));
        }
    }

    private void growWindow(final int acked)
    {
        if (sendWindow < slowStartThreshold)
        {
            sendWindow += acked;
        }
        else
        {
            windowGrowth += acked;
            while (windowGrowth >= sendWindow)
            {
                windowGrowth -= sendWindow;
                sendWindow++;
            }
        }
        sendWindow = Math.min(sendWindow, RETENTION);
    }

    /**
     * @return the send window in frames.
     */
    public int sendWindow()
    {
        return sendWindow;
    }

    private void sendHello()
    {
        final long frame = transport.acquire();
        if (-1 == frame)
        {
            counters.txFrameStalls.incrementRelease();
            return;
        }
        final LinkKey key = config.key();
        final int payload = null == key ? HELLO_LENGTH : HELLO_LENGTH + HELLO_AUTH_LENGTH;
        final int length = FRAME_OVERHEAD + payload;
        tx.wrap(memory, frame, length).writeHeader(
            dstMac, config.srcMac(), KIND_HELLO, (LinkState.UP == state ? FLAG_UP : 0) | (null == key ? 0 : FLAG_AUTH),
            payload, epoch, nextSeq, nextExpected, grantLimit());
        hello.wrap(memory, frame + FRAME_OVERHEAD, HELLO_LENGTH)
            .minVersion(config.minVersion())
            .maxVersion(config.maxVersion())
            .peerEpoch(peerEpoch)
            .maxFrameSize(transport.maxFrameLength())
            .initialCredits(receiveCapacity - config.creditReserve())
            .heartbeatIntervalMicros((int)(config.heartbeatIntervalNs() / 1000))
            .deadTimeoutMicros((int)(config.deadTimeoutNs() / 1000));
        if (null != key)
        {
            final long trailer = frame + FRAME_OVERHEAD + HELLO_LENGTH;
            memory.set(BIG_ENDIAN_LONG, trailer, ourNonce);
            memory.set(BIG_ENDIAN_LONG, trailer + 8, peerNonce);
            key.sign(memory, frame + HEADER_OFFSET, length - HEADER_OFFSET - LinkKey.MAC_LENGTH,
                trailer + 16);
        }
        transmit(frame, length);
        transport.release(frame);
        lastHelloNs = nowNs;
        advertisedLimit = grantedLimit;
    }

    private void sendControl(final int kind, final int flags)
    {
        final long frame = transport.acquire();
        if (-1 == frame)
        {
            counters.txFrameStalls.incrementRelease();
            return;
        }
        tx.wrap(memory, frame, FRAME_OVERHEAD).writeHeader(
            dstMac, config.srcMac(), kind, flags, 0, epoch, nextSeq, nextExpected, grantLimit());
        transmit(frame, FRAME_OVERHEAD);
        transport.release(frame);
        ackSent();
    }

    private void sendReset(final int reason, final String text)
    {
        sendReset(reason, text, dstMac);
    }

    private void sendReset(final int reason, final String text, final long to)
    {
        final long frame = transport.acquire();
        if (-1 == frame)
        {
            return;
        }
        final LinkKey key = config.key();
        final int max = transport.maxFrameLength() - FRAME_OVERHEAD - (null == key ? 0 : RESET_AUTH_LENGTH);
        final int body = reset.wrap(memory, frame + FRAME_OVERHEAD, max).encode(reason, text);
        final int payload = null == key ? body : body + RESET_AUTH_LENGTH;
        tx.wrap(memory, frame, FRAME_OVERHEAD + payload).writeHeader(
            to, config.srcMac(), KIND_RESET, null == key ? 0 : FLAG_AUTH, payload, epoch, nextSeq, nextExpected,
            grantedLimit);
        if (null != key)
        {
            final long trailer = frame + FRAME_OVERHEAD + body;
            memory.set(BIG_ENDIAN_LONG, trailer, peerNonce);
            key.sign(memory, frame + HEADER_OFFSET, FRAME_OVERHEAD - HEADER_OFFSET + body + 8, trailer + 8);
        }
        transmit(frame, FRAME_OVERHEAD + payload);
        transport.release(frame);
    }

    private void onFrame(final MemorySegment mem, final long frame, final int length)
    {
        counters.framesReceived.incrementRelease();
        counters.bytesReceived.getAndAddRelease(length);
        final MalformedReason reason = FrameValidator.validate(mem, frame, length);
        if (MalformedReason.NONE != reason)
        {
            counters.malformed(reason);
            transport.recycle(frame);
            return;
        }
        rx.wrap(mem, frame, length);
        if (peerLearned && rx.srcMac() != peerMac)
        {
            // Only the peer the handshake named may speak on this link, HELLO and RESET included: anyone else on
            // the segment could otherwise tear it down or take it over.
            counters.foreignFrames.incrementRelease();
            transport.recycle(frame);
            return;
        }
        final int kind = rx.kind();
        final int frameEpoch = rx.epoch();
        switch (kind)
        {
            case KIND_HELLO -> onHello(frame, frameEpoch);
            case KIND_RESET -> onReset(frame, frameEpoch);
            default ->
            {
                if (LinkState.UP != state || frameEpoch != peerEpoch)
                {
                    counters.malformed(MalformedReason.STALE_EPOCH);
                    transport.recycle(frame);
                    if (LinkState.CONNECTING == state && nowNs - lastHelloNs > config.retransmitTimeoutNs())
                    {
                        sendHello();
                    }
                    return;
                }
                lastReceivedNs = nowNs;
                onAck(rx.ack(), rx.creditLimit(), rx.hasFlag(FLAG_GAP));
                if (KIND_DATA == kind)
                {
                    onData(frame, length);
                }
                else
                {
                    transport.recycle(frame);
                }
            }
        }
    }

    /**
     * With a key: whether this HELLO or RESET carries a valid keyed MAC (over the XTS header and the payload before
     * the MAC, the trailer's nonces included); counted and said why when not.
     */
    private boolean authentic(final long frame, final int trailerLength)
    {
        final int payload = rx.payloadLength();
        if (!rx.hasFlag(FLAG_AUTH) || payload < trailerLength || !config.key().verify(memory, frame + HEADER_OFFSET,
            FRAME_OVERHEAD - HEADER_OFFSET + payload - LinkKey.MAC_LENGTH,
            frame + FRAME_OVERHEAD + payload - LinkKey.MAC_LENGTH))
        {
            counters.authFailures.incrementRelease();
            if (LinkState.UP != state)
            {
                failure = "a HELLO or RESET failed authentication (the peer has no key or another key)";
            }
            return false;
        }
        return true;
    }

    /**
     * Refuse the HELLO just received: the refusal is the failure text while the link is not up, and the sender gets
     * a VERSION_MISMATCH RESET (rate-limited); the link itself stays as it was (ready for a peer it can talk to, or up
     * with the one it has): a HELLO from the wire never stops it.
     */
    private void refuse(final String text)
    {
        if (LinkState.UP != state)
        {
            failure = text;
        }
        sendRefusal(RESET_VERSION_MISMATCH, text, rx.srcMac());
    }

    /**
     * Answer a HELLO that cannot be accepted with a RESET, at most once per heartbeat interval, so that a flood of bad
     * HELLOs costs a bounded number of frames.
     */
    private void sendRefusal(final int reason, final String text, final long to)
    {
        if (nowNs - lastRefusalNs >= config.heartbeatIntervalNs() || 0 == lastRefusalNs)
        {
            lastRefusalNs = nowNs;
            sendReset(reason, text, to);
        }
    }

    private void onHello(final long frame, final int frameEpoch)
    {
        final LinkKey key = config.key();
        if (null != key && !authentic(frame, HELLO_LENGTH + HELLO_AUTH_LENGTH))
        {
            final long from = rx.srcMac();
            transport.recycle(frame);
            if (LinkState.UP != state)
            {
                sendRefusal(RESET_AUTH_REQUIRED, "handshake refused: this link needs HELLOs authenticated by its key",
                    from);
            }
            return;
        }
        // With a key, a HELLO is fresh only if it echoes the nonce of this link life: an old one replayed is not.
        final boolean fresh;
        if (null != key)
        {
            final long trailer = frame + FRAME_OVERHEAD + HELLO_LENGTH;
            fresh = memory.get(BIG_ENDIAN_LONG, trailer + 8) == ourNonce;
            if (LinkState.UP != state || fresh)
            {
                // While up, only a HELLO that proves itself fresh may change what we echo (not a replay).
                peerNonce = memory.get(BIG_ENDIAN_LONG, trailer);
            }
        }
        else
        {
            fresh = true;
        }
        hello.wrap(memory, frame + FRAME_OVERHEAD, HELLO_LENGTH);
        final int peerMin = hello.minVersion();
        final int peerMax = hello.maxVersion();
        final int echoed = hello.peerEpoch();
        final int peerMaxFrame = hello.maxFrameSize();
        final int initialCredits = (int)Math.min(Integer.MAX_VALUE, hello.initialCredits());
        transport.recycle(frame);
        final int agreed = Math.min(peerMax, config.maxVersion());
        if (agreed < Math.max(peerMin, config.minVersion()))
        {
            counters.handshakeRefusals.incrementRelease();
            final String text = "handshake refused: peer speaks versions " + peerMin + ".." + peerMax +
                ", we speak " + config.minVersion() + ".." + config.maxVersion();
            refuse(text);
            return;
        }
        if (LinkState.UP == state && !fresh && (frameEpoch != peerEpoch || echoed != epoch))
        {
            // A restart or reset claimed by a HELLO that does not echo this life's nonce: maybe a replay. Answer with
            // our nonce; the real peer's next HELLO echoes it and is then believed.
            sendHello();
            return;
        }
        final int agreedFrame = Math.min(peerMaxFrame, transport.maxFrameLength());
        if (agreedFrame < MIN_LINK_FRAME_SIZE)
        {
            counters.handshakeRefusals.incrementRelease();
            final String text = "handshake refused: the peer's frames of at most " + peerMaxFrame + " bytes leave no " +
                "room for a control message of " + MAX_CONTROL_MESSAGE_LENGTH + " bytes (frames of at least " +
                MIN_LINK_FRAME_SIZE + " bytes needed)";
            refuse(text);
            return;
        }
        if (LinkState.UP == state)
        {
            if (frameEpoch != peerEpoch)
            {
                counters.epochChanges.incrementRelease();
                linkDown("peer restarted: epoch " + Integer.toUnsignedString(peerEpoch, 16) + " replaced by " +
                    Integer.toUnsignedString(frameEpoch, 16));
            }
            else if (echoed != epoch)
            {
                linkDown("peer reset the link (epoch " + Integer.toUnsignedString(peerEpoch, 16) + ")");
            }
            else
            {
                lastReceivedNs = nowNs;
                if (!rx.hasFlag(FLAG_UP))
                {
                    // The peer is still connecting: our HELLO that would bring it up was lost. Answer again.
                    sendHello();
                }
                return;
            }
        }
        lastReceivedNs = nowNs;
        peerEpoch = frameEpoch;
        peerMac = rx.srcMac();
        version = agreed;
        maxFrame = Math.min(peerMaxFrame, transport.maxFrameLength());
        peerLimit = initialCredits;
        if (echoed == epoch && fresh)
        {
            // The peer answered our epoch: it is the one we talk to from now on, by unicast, and the only source
            // this link (and the XDP program below it) accepts until the link goes down.
            peerLearned = true;
            dstMac = peerMac;
            transport.trustOnly(peerMac);
            state = LinkState.UP;
            failure = null;
            lastProgressNs = nowNs;
            lastSentNs = nowNs;
            counters.linkUps.incrementRelease();
            sendHello();
            listener.onLinkUp(peerEpoch, version);
        }
        else
        {
            sendHello();
        }
    }

    private void onReset(final long frame, final int frameEpoch)
    {
        final LinkKey key = config.key();
        if (null != key && (!authentic(frame, RESET_AUTH_LENGTH + 4) || memory.get(BIG_ENDIAN_LONG,
            frame + FRAME_OVERHEAD + rx.payloadLength() - RESET_AUTH_LENGTH) != ourNonce))
        {
            // Unauthenticated, or a replay from another link life: ignored (counted when it failed the MAC).
            transport.recycle(frame);
            return;
        }
        final int payloadLength = rx.payloadLength() - (null == key ? 0 : RESET_AUTH_LENGTH);
        reset.wrap(memory, frame + FRAME_OVERHEAD, payloadLength);
        final int reason = reset.reason();
        final String text = reset.text();
        transport.recycle(frame);
        if (0 != peerEpoch && frameEpoch != peerEpoch)
        {
            counters.malformed(MalformedReason.STALE_EPOCH);
            return;
        }
        if (RESET_VERSION_MISMATCH == reason || RESET_AUTH_REQUIRED == reason)
        {
            // Not terminal: before the handshake anyone could have sent it. Say why in the failure text (a caller
            // waiting for the link reports it) and keep offering the handshake.
            counters.handshakeRefusals.incrementRelease();
            if (LinkState.UP != state)
            {
                failure = "peer refused the handshake: " + text;
            }
        }
        else if (LinkState.UP == state)
        {
            linkDown((RESET_SHUTDOWN == reason ? "peer shut the link down: " : "peer reset the link: ") + text);
        }
    }

    private void onAck(final int ack, final int limit, final boolean gap)
    {
        if (serialAfter(ack, highWater))
        {
            counters.malformed(MalformedReason.BAD_SEQUENCE);
            return;
        }
        if (serialAfter(ack, ackedSeq))
        {
            for (int s = ackedSeq; s != ack; s++)
            {
                transport.release(retained[s & (RETENTION - 1)]);
            }
            final int newest = (ack - 1) & (RETENTION - 1);
            if (!retainedResent[newest])
            {
                sampleRoundTrip(nowNs - retainedSentNs[newest]);
            }
            growWindow(ack - ackedSeq);
            ackedSeq = ack;
            if (serialBefore(sendCursor, ackedSeq))
            {
                sendCursor = ackedSeq;
            }
            lastProgressNs = nowNs;
            retransmitTimeoutNs = baseRetransmitTimeout();
        }
        if (serialAfter(limit, peerLimit))
        {
            peerLimit = limit;
        }
        if (gap && ack == ackedSeq && highWater != ackedSeq &&
            (ack != lastGapServed || nowNs - lastGapServedNs > retransmitTimeoutNs))
        {
            lastGapServed = ack;
            lastGapServedNs = nowNs;
            goBack(true);
        }
    }

    /**
     * Round-trip estimate as TCP keeps it (RFC 6298): a frame at the tail of a full window waits behind the whole
     * window, so a fixed timeout shorter than that would resend frames that are merely queued.
     */
    private void sampleRoundTrip(final long sampleNs)
    {
        if (0 == smoothedRttNs)
        {
            smoothedRttNs = sampleNs;
            rttVarianceNs = sampleNs / 2;
        }
        else
        {
            rttVarianceNs += (Math.abs(smoothedRttNs - sampleNs) - rttVarianceNs) / 4;
            smoothedRttNs += (sampleNs - smoothedRttNs) / 8;
        }
        counters.smoothedRttNs.setRelease(smoothedRttNs);
    }

    private long baseRetransmitTimeout()
    {
        // Before the first sample, be conservative (as TCP's initial timeout is): ten times the minimum.
        final long estimate =
            0 == smoothedRttNs ? 10 * config.retransmitTimeoutNs() : smoothedRttNs + 4 * rttVarianceNs;
        return Math.min(Math.max(config.retransmitTimeoutNs(), estimate), config.deadTimeoutNs() / 4);
    }

    /**
     * Latency mode: acknowledge (and so return credit) in the duty cycle that accepted a frame, after that cycle's own
     * sends, instead of waiting up to {@code ACK_DELAY_NS} for more frames to share one acknowledgement. A reply the
     * cycle sends still carries the acknowledgement; only when there is none does a bare ACK go out, one more frame
     * per exchange in each direction. The default (false) coalesces: fewer frames and kicks, so less CPU.
     *
     * @param atOnce true for no coalescing delay.
     */
    public void acknowledgeAtOnce(final boolean atOnce)
    {
        ackDelayNs = atOnce ? 0 : ACK_DELAY_NS;
    }

    /**
     * @return whether acknowledgements go out in the cycle that accepted the frame ({@link #acknowledgeAtOnce}).
     */
    public boolean acknowledgesAtOnce()
    {
        return 0 == ackDelayNs;
    }

    /**
     * @return the smoothed round-trip time, 0 before the first sample.
     */
    public long smoothedRttNs()
    {
        return smoothedRttNs;
    }

    private void onData(final long frame, final int length)
    {
        final int seq = rx.seq();
        if (!serialBefore(seq, grantedLimit))
        {
            // The peer sent past the credit we granted: a protocol violation, never a retransmission.
            counters.malformed(MalformedReason.BAD_SEQUENCE);
            transport.recycle(frame);
            return;
        }
        if (seq == nextExpected)
        {
            nextExpected++;
            markAckDue();
            acceptedSinceAck++;
            gapNakFor = -1;
            heldFrame[(heldHead + heldCount) % heldFrame.length] = frame;
            heldLength[(heldHead + heldCount) % heldFrame.length] = rx.payloadLength();
            heldCount++;
            if (1 == heldCount)
            {
                deliverHeld();
            }
        }
        else if (serialBefore(seq, nextExpected))
        {
            counters.duplicates.incrementRelease();
            markAckDue();
            transport.recycle(frame);
        }
        else
        {
            counters.outOfOrder.incrementRelease();
            transport.recycle(frame);
            if (gapNakFor != nextExpected || nowNs - gapNakNs > config.retransmitTimeoutNs())
            {
                gapNakFor = nextExpected;
                gapNakNs = nowNs;
                counters.gapNaks.incrementRelease();
                sendControl(KIND_ACK, FLAG_GAP);
            }
        }
    }

    private int deliverHeld()
    {
        int delivered = 0;
        while (heldCount > 0)
        {
            final long frame = heldFrame[heldHead];
            reader.wrapPayload(memory, frame + FRAME_OVERHEAD, heldLength[heldHead]);
            int index = 0;
            while (reader.next())
            {
                if (index++ < heldDelivered)
                {
                    continue;
                }
                final int type = reader.type();
                final int streamId = reader.streamId();
                if (!isKnownType(type))
                {
                    counters.unknownMessages.incrementRelease();
                    heldDelivered++;
                    replyUnknown(type, streamId);
                    continue;
                }
                deliveringFrame = frame;
                boolean consumed;
                try
                {
                    consumed = listener.onMessage(type, streamId, memory, reader.bodyOffset(), reader.length());
                }
                catch (final RuntimeException ex)
                {
                    // A listener bug: the message is dropped, never delivered again (it would throw again and hold
                    // its frame, and every frame behind it, for good); the frame goes back with the batch, and the
                    // error is rethrown at the end of the duty cycle, when nothing is half done.
                    counters.listenerErrors.incrementRelease();
                    if (null == listenerFailure)
                    {
                        listenerFailure = ex;
                    }
                    consumed = true;
                }
                finally
                {
                    deliveringFrame = -1;
                }
                if (!consumed)
                {
                    return delivered;
                }
                counters.messagesReceived.incrementRelease();
                heldDelivered++;
                delivered++;
            }
            this.delivered[deliveredCount++] = frame;
            heldHead = (heldHead + 1) % heldFrame.length;
            heldCount--;
            heldDelivered = 0;
        }
        return delivered;
    }

    /**
     * Tell the listener the cycle's deliveries are complete, then give their frames back to the receive pool.
     */
    private void finishDeliveries()
    {
        if (0 == deliveredCount)
        {
            return;
        }
        try
        {
            listener.onDeliveryBatchEnd();
        }
        finally
        {
            for (int i = 0; i < deliveredCount; i++)
            {
                recycleReceived(this.delivered[i]);
            }
            deliveredCount = 0;
        }
    }

    /** A received frame the link is done with: back to the receive pool, unless the listener kept it. */
    private void recycleReceived(final long frame)
    {
        final long refs = retainedRefs.get(frame);
        if (0 == refs)
        {
            transport.recycle(frame);
        }
        else
        {
            retainedRefs.put(frame, refs | PARKED);
            parkedFrames++;
        }
    }

    private static boolean isKnownType(final int type)
    {
        return TYPE_LINK_ERROR == type || TYPE_STREAM_DATA == type || TYPE_STREAM_CREDIT == type ||
            isSocketType(type) || isNvmeType(type);
    }

    private void replyUnknown(final int type, final int streamId)
    {
        final long body = claim(TYPE_LINK_ERROR, 0, LinkErrorFlyweight.LENGTH);
        if (body < 0)
        {
            counters.undeliverable.incrementRelease();
            return;
        }
        linkError.wrap(memory, body, LinkErrorFlyweight.LENGTH).write(type, LINK_ERROR_UNKNOWN_TYPE, streamId);
    }

    private void linkDown(final String reason)
    {
        final boolean wasUp = LinkState.UP == state;
        failEverything();
        state = LinkState.CONNECTING;
        failure = reason;
        lastHelloNs = nowNs - config.heartbeatIntervalNs();
        lastReceivedNs = nowNs;
        if (wasUp)
        {
            counters.linkDowns.incrementRelease();
        }
        listener.onLinkDown(reason);
    }

    private void failEverything()
    {
        for (int s = ackedSeq; s != nextSeq; s++)
        {
            transport.release(retained[s & (RETENTION - 1)]);
        }
        if (-1 != building)
        {
            transport.release(building);
            building = -1;
        }
        while (heldCount > 0)
        {
            recycleReceived(heldFrame[heldHead]);
            heldHead = (heldHead + 1) % heldFrame.length;
            heldCount--;
        }
        heldDelivered = 0;
        peerEpoch = 0;
        ourNonce = newNonce();
        if (peerLearned)
        {
            peerLearned = false;
            dstMac = config.dstMac();
            transport.trustAnyone();
        }
        resetSequenceState();
    }

    private void resetSequenceState()
    {
        nextSeq = 0;
        ackedSeq = 0;
        sendCursor = 0;
        highWater = 0;
        sendWindow = RETENTION;
        slowStartThreshold = RETENTION;
        windowGrowth = 0;
        recoveryUntil = 0;
        acceptedSinceAck = 0;
        ackDue = false;
        peerLimit = 0;
        nextExpected = 0;
        grantedLimit = 0;
        advertisedLimit = 0;
        gapNakFor = -1;
        lastGapServed = -1;
        smoothedRttNs = 0;
        counters.smoothedRttNs.setRelease(0);
        rttVarianceNs = 0;
        retransmitTimeoutNs = baseRetransmitTimeout();
        maxFrame = transport.maxFrameLength();
        grantLimit();
    }

    /**
     * Tell the peer we are going (RESET SHUTDOWN), fail what is in flight, and stop.
     */
    @Override
    public void close()
    {
        if (LinkState.CLOSED == state)
        {
            return;
        }
        if (LinkState.UP == state)
        {
            sendReset(RESET_SHUTDOWN, "link closed by its owner");
            transport.flush();
        }
        failEverything();
        state = LinkState.CLOSED;
    }
}
