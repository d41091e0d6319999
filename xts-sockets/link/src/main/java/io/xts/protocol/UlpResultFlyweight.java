package io.xts.protocol;

import static io.xts.protocol.UlpMessages.RESULT_ERRNO_OFFSET;
import static io.xts.protocol.UlpMessages.RESULT_LENGTH;
import static io.xts.protocol.UlpMessages.RESULT_STATE_OFFSET;
import static io.xts.protocol.UlpMessages.RESULT_STREAM_OFFSET;

/**
 * Body of ULP_RESULT (proxy to app): whether the proxy took the ULP (errno 0) or refused it (the app keeps doing
 * everything in software), whether it is in sync or searching, and the stream offset from which ULP messages replace
 * DATA (in sync) or from which it searches.
 */
public final class UlpResultFlyweight extends SocketBodyFlyweight<UlpResultFlyweight>
{
    @Override
    protected UlpResultFlyweight self()
    {
        return this;
    }

    @Override
    protected int requiredLength()
    {
        return RESULT_LENGTH;
    }

    /** @return errno, 0 when offloaded. */
    public int errno()
    {
        return i32(RESULT_ERRNO_OFFSET);
    }

    /** @return {@link UlpMessages#RESULT_IN_SYNC} or {@link UlpMessages#RESULT_SEARCHING}. */
    public int state()
    {
        return u8(RESULT_STATE_OFFSET);
    }

    /** @return the controller-to-host stream offset the result speaks of. */
    public long streamOffset()
    {
        return i64(RESULT_STREAM_OFFSET);
    }

    /**
     * Write every field.
     *
     * @return bytes of body written.
     */
    public int write(final int errno, final int state, final long streamOffset)
    {
        i32(RESULT_ERRNO_OFFSET, errno);
        i32(RESULT_STATE_OFFSET, 0);
        u8(RESULT_STATE_OFFSET, state);
        i64(RESULT_STREAM_OFFSET, streamOffset);
        return RESULT_LENGTH;
    }
}
