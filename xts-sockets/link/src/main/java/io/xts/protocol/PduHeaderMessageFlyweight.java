package io.xts.protocol;

import static io.xts.protocol.UlpMessages.PDU_HEADER_PDU_OFFSET;
import static io.xts.protocol.UlpMessages.PDU_HEADER_STATUS_OFFSET;

/**
 * Body of PDU_HEADER (proxy to app): a status byte and an NVMe/TCP PDU header (CH + PSH, HLEN bytes, digest removed
 * after the proxy verified it) as it was on the wire.
 */
public final class PduHeaderMessageFlyweight extends SocketBodyFlyweight<PduHeaderMessageFlyweight>
{
    @Override
    protected PduHeaderMessageFlyweight self()
    {
        return this;
    }

    @Override
    protected int requiredLength()
    {
        return PDU_HEADER_PDU_OFFSET + 8;
    }

    /** @return status, 0 ok. */
    public int status()
    {
        return u8(PDU_HEADER_STATUS_OFFSET);
    }

    /** @return offset of the PDU header within the wrapped segment. */
    public long pduOffset()
    {
        return offset + PDU_HEADER_PDU_OFFSET;
    }

    /** @return bytes of PDU header carried. */
    public int pduLength()
    {
        return length - PDU_HEADER_PDU_OFFSET;
    }

    /**
     * Write the status word; the caller copies the header after it.
     *
     * @return bytes written before the header.
     */
    public int writeStatus(final int status)
    {
        i32(PDU_HEADER_STATUS_OFFSET, 0);
        u8(PDU_HEADER_STATUS_OFFSET, status);
        return PDU_HEADER_PDU_OFFSET;
    }
}
