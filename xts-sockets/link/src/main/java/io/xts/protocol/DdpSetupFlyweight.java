package io.xts.protocol;

import static io.xts.protocol.UlpMessages.SETUP_BUFFER_LENGTH_OFFSET;
import static io.xts.protocol.UlpMessages.SETUP_CID_OFFSET;
import static io.xts.protocol.UlpMessages.SETUP_LENGTH;

/**
 * Body of DDP_SETUP (app to proxy): register command id CID, whose data buffer has the given length, for direct
 * placement. Sent before the CapsuleCmd that uses the CID and never awaited.
 */
public final class DdpSetupFlyweight extends SocketBodyFlyweight<DdpSetupFlyweight>
{
    @Override
    protected DdpSetupFlyweight self()
    {
        return this;
    }

    @Override
    protected int requiredLength()
    {
        return SETUP_LENGTH;
    }

    /** @return the command id. */
    public int cid()
    {
        return u16(SETUP_CID_OFFSET);
    }

    /** @return bytes of the command's data buffer, unsigned. */
    public long bufferLength()
    {
        return i32(SETUP_BUFFER_LENGTH_OFFSET) & 0xFFFF_FFFFL;
    }

    /**
     * Write every field.
     *
     * @return bytes of body written.
     */
    public int write(final int cid, final long bufferLength)
    {
        u16(SETUP_CID_OFFSET, cid);
        u16(SETUP_CID_OFFSET + 2, 0);
        i32(SETUP_BUFFER_LENGTH_OFFSET, (int)bufferLength);
        return SETUP_LENGTH;
    }
}
