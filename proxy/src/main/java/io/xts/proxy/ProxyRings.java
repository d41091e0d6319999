package io.xts.proxy;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The hand-off of the two-thread mode: two single-producer single-consumer Agrona rings in off-heap memory, and the
 * little state the link agent publishes to the TCP agent.
 * <ul>
 * <li>{@code toTcp}, written by the {@link LinkAgent}, read by the {@link TcpAgent}: every message the app host sent
 * (record type = message type; record = u32 socket id, u32 reserved, body at an 8-aligned offset), and the link's
 * life as records of types {@link #LINK_UP} and {@link #LINK_DOWN}, in order with the messages.</li>
 * <li>{@code toLink}, written by the TCP agent through {@link RingPort}, read by the link agent: every message for
 * the app host (record type = message type; record = u32 socket id, u32 link generation, u32 body length actually
 * written, u32 reserved, then the body as claimed).</li>
 * </ul>
 * Each ring's memory is one {@link MemorySegment} of a shared {@link Arena}, wrapped by address in an
 * {@link UnsafeBuffer} for the ring, so the same bytes have a segment view (flyweights, copies to and from link
 * frames) and {@link java.nio.ByteBuffer} views (TCP reads and writes straight into and out of ring records).
 * <p>
 * Published by the link agent (release stores, acquire loads): the generation of the link incarnation that is up now
 * (0 while down). A TCP-side claim is tagged with the generation the session serves; the link agent drops records of
 * any other, so nothing meant for the sockets of an earlier link incarnation reaches the next one.
 */
public final class ProxyRings implements AutoCloseable
{
    /** Ring capacity when none is given: 8 MiB each way. */
    public static final int DEFAULT_CAPACITY = 8 << 20;
    /** toTcp record: the link came up. Socket id field = generation; body: peer epoch, version, max message length. */
    static final int LINK_UP = 0x7F00_0001;
    /** toTcp record: the link went down. Body: the reason, as an ASCII string with a length prefix. */
    static final int LINK_DOWN = 0x7F00_0002;
    /** Bytes before the body in a toTcp record. */
    static final int TO_TCP_HEADER = 8;
    /** Bytes before the body in a toLink record. */
    static final int TO_LINK_HEADER = 16;
    static final int TO_LINK_GENERATION_OFFSET = 4;
    static final int TO_LINK_LENGTH_OFFSET = 8;

    private final Arena arena = Arena.ofShared();
    final MemorySegment toTcpMemory;
    final UnsafeBuffer toTcpBuffer;
    final OneToOneRingBuffer toTcp;
    final MemorySegment toLinkMemory;
    final UnsafeBuffer toLinkBuffer;
    final OneToOneRingBuffer toLink;
    private volatile int upGeneration;
    private volatile int socketsClosedAtStop;

    /**
     * @param capacity bytes of each ring, a power of two (the rings' trailers come on top).
     */
    public ProxyRings(final int capacity)
    {
        if (Integer.bitCount(capacity) != 1 || capacity < 64 * 1024 || capacity > (1 << 30))
        {
            throw new IllegalArgumentException("ring capacity must be a power of two from 64 KiB to 1 GiB: " +
                capacity);
        }
        final int length = capacity + RingBufferDescriptor.TRAILER_LENGTH;
        toTcpMemory = arena.allocate(length, 64);
        toTcpBuffer = new UnsafeBuffer(toTcpMemory.address(), length);
        toTcp = new OneToOneRingBuffer(toTcpBuffer);
        toLinkMemory = arena.allocate(length, 64);
        toLinkBuffer = new UnsafeBuffer(toLinkMemory.address(), length);
        toLink = new OneToOneRingBuffer(toLinkBuffer);
    }

    /** @return the generation of the link incarnation up now, 0 while the link is down. */
    int upGeneration()
    {
        return upGeneration;
    }

    /** Link agent: the link is up as incarnation {@code generation} (non-zero), or down (0). */
    void publishUpGeneration(final int generation)
    {
        upGeneration = generation;
    }

    /** @return how many sockets the TCP agent closed when it stopped (for the link agent's last event). */
    int socketsClosedAtStop()
    {
        return socketsClosedAtStop;
    }

    void socketsClosedAtStop(final int n)
    {
        socketsClosedAtStop = n;
    }

    /** Free the rings' memory; only once both agents have stopped. */
    @Override
    public void close()
    {
        arena.close();
    }
}
