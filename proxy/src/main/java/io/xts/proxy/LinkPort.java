package io.xts.proxy;

import io.xts.link.LinkState;
import io.xts.link.XtsLink;

import java.lang.foreign.MemorySegment;

/**
 * The one-thread mode's {@link AppPort}: the {@link XtsLink} itself, driven by the same thread. A claim is room in
 * the link's transmit frame, so a DATA read from TCP lands straight in the frame the NIC sends: no copy in user space.
 */
final class LinkPort implements AppPort
{
    private final XtsLink link;

    LinkPort(final XtsLink link)
    {
        this.link = link;
    }

    @Override
    public long claim(final int type, final int streamId, final int length)
    {
        return link.claim(type, streamId, length);
    }

    @Override
    public void trimClaim(final int length)
    {
        link.trimClaim(length);
    }

    @Override
    public int claimableInFrame()
    {
        return link.claimableInFrame();
    }

    @Override
    public MemorySegment memory()
    {
        return link.memory();
    }

    @Override
    public int maxMessageLength()
    {
        return link.maxMessageLength();
    }

    @Override
    public int claimBulk(
        final int type, final int streamId, final int maxBytes, final long[] bodyOffsets, final int[] bodyLengths)
    {
        return link.claimBulk(type, streamId, maxBytes, bodyOffsets, bodyLengths);
    }

    @Override
    public void commitBulk(final int bytes)
    {
        link.commitBulk(bytes);
    }

    @Override
    public boolean isUp()
    {
        return LinkState.UP == link.state();
    }
}
