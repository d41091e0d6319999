package io.xts.protocol;

import static io.xts.protocol.XtsFrameDescriptor.BIG_ENDIAN_INT;
import static io.xts.protocol.XtsFrameDescriptor.BIG_ENDIAN_SHORT;
import static io.xts.protocol.XtsFrameDescriptor.HELLO_DEAD_TIMEOUT_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.HELLO_HEARTBEAT_INTERVAL_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.HELLO_INITIAL_CREDITS_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.HELLO_LENGTH;
import static io.xts.protocol.XtsFrameDescriptor.HELLO_MAX_FRAME_SIZE_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.HELLO_MAX_VERSION_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.HELLO_MIN_VERSION_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.HELLO_PEER_EPOCH_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.HELLO_RESERVED_OFFSET;

/**
 * Encoder and decoder, in place, of the 24-byte HELLO payload of the handshake: the version range the sender
 * speaks, the peer epoch it has heard, the largest frame it can receive, the DATA frames the peer may send before
 * the first credit update, and its heartbeat and dead-peer timers. Wrap it over a frame's payload
 * ({@link XtsFrameFlyweight#payloadOffset()}); a received HELLO is read only after {@link FrameValidator} accepted
 * the frame, which guarantees {@link #LENGTH} bytes. u16 fields are non-negative {@code int}s; u32 fields are their
 * raw 32 bits in an {@code int} ({@link Integer#toUnsignedLong} gives the magnitude of values of 2^31 and more).
 */
public final class HelloFlyweight extends PayloadFlyweight<HelloFlyweight>
{
    /** Bytes of a HELLO payload. */
    public static final int LENGTH = HELLO_LENGTH;


    /**
     * Create a flyweight wrapping nothing; {@link #wrap} it over a HELLO payload before use.
     */
    public HelloFlyweight()
    {
    }

    @Override
    protected HelloFlyweight self()
    {
        return this;
    }

    /**
     * Write every field, reserved 0.
     *
     * @param minVersion              u16 lowest version spoken.
     * @param maxVersion              u16 highest version spoken.
     * @param peerEpoch               u32 epoch of the peer heard, 0 if none.
     * @param maxFrameSize            u16 largest receivable frame, Ethernet header included.
     * @param initialCredits          u32 DATA frames the peer may send before the first credit update.
     * @param heartbeatIntervalMicros u32 heartbeat interval in microseconds.
     * @param deadTimeoutMicros       u32 dead-peer timeout in microseconds.
     * @return this.
     */
    public HelloFlyweight write(
        final int minVersion,
        final int maxVersion,
        final int peerEpoch,
        final int maxFrameSize,
        final int initialCredits,
        final int heartbeatIntervalMicros,
        final int deadTimeoutMicros)
    {
        minVersion(minVersion);
        maxVersion(maxVersion);
        peerEpoch(peerEpoch);
        maxFrameSize(maxFrameSize);
        segment.set(BIG_ENDIAN_SHORT, offset + HELLO_RESERVED_OFFSET, (short)0);
        initialCredits(initialCredits);
        heartbeatIntervalMicros(heartbeatIntervalMicros);
        deadTimeoutMicros(deadTimeoutMicros);
        return this;
    }

    /**
     * @return the u16 lowest version the sender speaks.
     */
    public int minVersion()
    {
        return segment.get(BIG_ENDIAN_SHORT, offset + HELLO_MIN_VERSION_OFFSET) & 0xFFFF;
    }

    /**
     * @param minVersion u16 lowest version spoken.
     * @return this.
     */
    public HelloFlyweight minVersion(final int minVersion)
    {
        segment.set(BIG_ENDIAN_SHORT, offset + HELLO_MIN_VERSION_OFFSET, (short)minVersion);
        return this;
    }

    /**
     * @return the u16 highest version the sender speaks.
     */
    public int maxVersion()
    {
        return segment.get(BIG_ENDIAN_SHORT, offset + HELLO_MAX_VERSION_OFFSET) & 0xFFFF;
    }

    /**
     * @param maxVersion u16 highest version spoken.
     * @return this.
     */
    public HelloFlyweight maxVersion(final int maxVersion)
    {
        segment.set(BIG_ENDIAN_SHORT, offset + HELLO_MAX_VERSION_OFFSET, (short)maxVersion);
        return this;
    }

    /**
     * @return the u32 epoch of the peer the sender has heard, raw bits; 0 if none.
     */
    public int peerEpoch()
    {
        return segment.get(BIG_ENDIAN_INT, offset + HELLO_PEER_EPOCH_OFFSET);
    }

    /**
     * @param peerEpoch u32 epoch of the peer heard, 0 if none.
     * @return this.
     */
    public HelloFlyweight peerEpoch(final int peerEpoch)
    {
        segment.set(BIG_ENDIAN_INT, offset + HELLO_PEER_EPOCH_OFFSET, peerEpoch);
        return this;
    }

    /**
     * @return the u16 largest frame, Ethernet header included, the sender can receive.
     */
    public int maxFrameSize()
    {
        return segment.get(BIG_ENDIAN_SHORT, offset + HELLO_MAX_FRAME_SIZE_OFFSET) & 0xFFFF;
    }

    /**
     * @param maxFrameSize u16 largest receivable frame, Ethernet header included.
     * @return this.
     */
    public HelloFlyweight maxFrameSize(final int maxFrameSize)
    {
        segment.set(BIG_ENDIAN_SHORT, offset + HELLO_MAX_FRAME_SIZE_OFFSET, (short)maxFrameSize);
        return this;
    }

    /**
     * @return the u32 number (raw bits) of DATA frames the peer may send before the first credit update.
     */
    public int initialCredits()
    {
        return segment.get(BIG_ENDIAN_INT, offset + HELLO_INITIAL_CREDITS_OFFSET);
    }

    /**
     * @param initialCredits u32 initial credits.
     * @return this.
     */
    public HelloFlyweight initialCredits(final int initialCredits)
    {
        segment.set(BIG_ENDIAN_INT, offset + HELLO_INITIAL_CREDITS_OFFSET, initialCredits);
        return this;
    }

    /**
     * @return the u32 heartbeat interval in microseconds, raw bits.
     */
    public int heartbeatIntervalMicros()
    {
        return segment.get(BIG_ENDIAN_INT, offset + HELLO_HEARTBEAT_INTERVAL_OFFSET);
    }

    /**
     * @param heartbeatIntervalMicros u32 heartbeat interval in microseconds.
     * @return this.
     */
    public HelloFlyweight heartbeatIntervalMicros(final int heartbeatIntervalMicros)
    {
        segment.set(BIG_ENDIAN_INT, offset + HELLO_HEARTBEAT_INTERVAL_OFFSET, heartbeatIntervalMicros);
        return this;
    }

    /**
     * @return the u32 dead-peer timeout in microseconds, raw bits.
     */
    public int deadTimeoutMicros()
    {
        return segment.get(BIG_ENDIAN_INT, offset + HELLO_DEAD_TIMEOUT_OFFSET);
    }

    /**
     * @param deadTimeoutMicros u32 dead-peer timeout in microseconds.
     * @return this.
     */
    public HelloFlyweight deadTimeoutMicros(final int deadTimeoutMicros)
    {
        segment.set(BIG_ENDIAN_INT, offset + HELLO_DEAD_TIMEOUT_OFFSET, deadTimeoutMicros);
        return this;
    }
}
