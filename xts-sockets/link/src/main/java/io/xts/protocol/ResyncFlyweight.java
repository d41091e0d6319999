package io.xts.protocol;

import static io.xts.protocol.UlpMessages.RESYNC_CONFIRMED_OFFSET;
import static io.xts.protocol.UlpMessages.RESYNC_OFFSET_OFFSET;
import static io.xts.protocol.UlpMessages.RESYNC_REQUEST_LENGTH;
import static io.xts.protocol.UlpMessages.RESYNC_RESPONSE_LENGTH;

/**
 * Body of RESYNC_REQUEST (proxy to app: a candidate PDU header at this controller-to-host stream offset) and of
 * RESYNC_RESPONSE (app to proxy: the same offset and whether the app's own parser has a PDU header there).
 */
public final class ResyncFlyweight extends SocketBodyFlyweight<ResyncFlyweight>
{
    @Override
    protected ResyncFlyweight self()
    {
        return this;
    }

    @Override
    protected int requiredLength()
    {
        return RESYNC_REQUEST_LENGTH;
    }

    /** @return the stream offset asked about. */
    public long streamOffset()
    {
        return i64(RESYNC_OFFSET_OFFSET);
    }

    /** @return whether the body is long enough to be a RESYNC_RESPONSE. */
    public boolean isResponse()
    {
        return length >= RESYNC_RESPONSE_LENGTH;
    }

    /** @return (RESYNC_RESPONSE) whether the app confirmed a header at the offset. */
    public boolean confirmed()
    {
        return 1 == u8(RESYNC_CONFIRMED_OFFSET);
    }

    /** @return bytes of a request body written. */
    public int writeRequest(final long streamOffset)
    {
        i64(RESYNC_OFFSET_OFFSET, streamOffset);
        return RESYNC_REQUEST_LENGTH;
    }

    /** @return bytes of a response body written. */
    public int writeResponse(final long streamOffset, final boolean confirmed)
    {
        i64(RESYNC_OFFSET_OFFSET, streamOffset);
        u8(RESYNC_CONFIRMED_OFFSET, confirmed ? 1 : 0);
        return RESYNC_RESPONSE_LENGTH;
    }
}
