package io.xts.protocol;

import static io.xts.protocol.UlpMessages.TEARDOWN_CID_OFFSET;
import static io.xts.protocol.UlpMessages.TEARDOWN_LENGTH;
import static io.xts.protocol.UlpMessages.TEARDOWN_REASON_OFFSET;

/**
 * Body of DDP_TEARDOWN (both ways): a registration ends early: the app cancels it, the proxy refused it, or a
 * stream error ended it.
 */
public final class DdpTeardownFlyweight extends SocketBodyFlyweight<DdpTeardownFlyweight>
{
    @Override
    protected DdpTeardownFlyweight self()
    {
        return this;
    }

    @Override
    protected int requiredLength()
    {
        return TEARDOWN_LENGTH;
    }

    /** @return the command id. */
    public int cid()
    {
        return u16(TEARDOWN_CID_OFFSET);
    }

    /** @return the reason ({@link UlpMessages#TEARDOWN_REFUSED} ...). */
    public int reason()
    {
        return u16(TEARDOWN_REASON_OFFSET);
    }

    /**
     * Write every field.
     *
     * @return bytes of body written.
     */
    public int write(final int cid, final int reason)
    {
        u16(TEARDOWN_CID_OFFSET, cid);
        u16(TEARDOWN_REASON_OFFSET, reason);
        return TEARDOWN_LENGTH;
    }
}
