package io.xts.proxy;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;

import java.lang.foreign.MemorySegment;

import static io.xts.proxy.ProxyRings.TO_LINK_GENERATION_OFFSET;
import static io.xts.proxy.ProxyRings.TO_LINK_HEADER;
import static io.xts.proxy.ProxyRings.TO_LINK_LENGTH_OFFSET;

/**
 * The two-thread mode's {@link AppPort}, used by the TCP agent: a claim is a record claimed in the {@code toLink}
 * ring ({@link ProxyRings}) for the whole length asked for, so a DATA read from TCP lands straight in the record; the
 * body length actually written goes into the record's header when the claim is trimmed or committed. The last claim
 * stays open (invisible to the link agent) until the next call into the port or {@link #publish()}, which the TCP
 * agent calls at the end of every duty cycle. When the ring is full a claim fails, exactly as a full link refuses one,
 * so the TCP agent stops reading TCP and the kernel's window closes on the peer.
 * <p>
 * {@link #isUp()} is true while the link agent's published generation is the one whose {@code LINK_UP} this session
 * took from the {@code toTcp} ring; {@link #maxMessageLength()} comes with that {@code LINK_UP} record.
 */
final class RingPort implements AppPort
{
    private final OneToOneRingBuffer ring;
    private final UnsafeBuffer buffer;
    private final MemorySegment memory;
    private final ProxyRings rings;
    private final ProxyCounters counters;
    private int generation;
    private int maxMessageLength;
    /** Ring index of the open claim, -1 when none. */
    private int open = -1;

    RingPort(final ProxyRings rings, final ProxyCounters counters)
    {
        this.rings = rings;
        this.ring = rings.toLink;
        this.buffer = rings.toLinkBuffer;
        this.memory = rings.toLinkMemory;
        this.counters = counters;
    }

    /** The session took the link's {@code LINK_UP} for incarnation {@code generation}. */
    void linkUp(final int generation, final int maxMessageLength)
    {
        publish();
        this.generation = generation;
        this.maxMessageLength = maxMessageLength;
    }

    /** The session took the link's {@code LINK_DOWN}. */
    void linkDown()
    {
        publish();
        generation = 0;
    }

    @Override
    public long claim(final int type, final int streamId, final int length)
    {
        if (-1 != open)
        {
            ring.commit(open);
            open = -1;
        }
        if (!isUp())
        {
            return -1;
        }
        if (length > maxMessageLength)
        {
            throw new IllegalArgumentException("message of " + length + " bytes exceeds the link's maximum of " +
                maxMessageLength);
        }
        final int index = ring.tryClaim(type, TO_LINK_HEADER + length);
        if (index < 0)
        {
            ProxyCounters.increment(counters.ringFullToLink);
            return -1;
        }
        buffer.putInt(index, streamId);
        buffer.putInt(index + TO_LINK_GENERATION_OFFSET, generation);
        buffer.putInt(index + TO_LINK_LENGTH_OFFSET, length);
        open = index;
        return index + TO_LINK_HEADER;
    }

    @Override
    public void trimClaim(final int length)
    {
        final int index = open;
        open = -1;
        if (0 == length)
        {
            ring.abort(index);
            return;
        }
        buffer.putInt(index + TO_LINK_LENGTH_OFFSET, length);
        ring.commit(index);
    }

    /** Make the open claim, if any, visible to the link agent. */
    void publish()
    {
        if (-1 != open)
        {
            ring.commit(open);
            open = -1;
        }
    }

    @Override
    public int claimableInFrame()
    {
        // The link agent packs records into frames; from here every claim may as well be a whole message.
        return maxMessageLength;
    }

    @Override
    public MemorySegment memory()
    {
        return memory;
    }

    @Override
    public int maxMessageLength()
    {
        return maxMessageLength;
    }

    @Override
    public boolean isUp()
    {
        return 0 != generation && rings.upGeneration() == generation;
    }
}
