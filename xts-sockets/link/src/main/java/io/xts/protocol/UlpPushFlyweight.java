package io.xts.protocol;

import static io.xts.protocol.UlpMessages.PUSH_C2H_CONSUMED_OFFSET;
import static io.xts.protocol.UlpMessages.PUSH_CPDA_OFFSET;
import static io.xts.protocol.UlpMessages.PUSH_FLAGS_OFFSET;
import static io.xts.protocol.UlpMessages.PUSH_FLAG_DDGST;
import static io.xts.protocol.UlpMessages.PUSH_FLAG_HDGST;
import static io.xts.protocol.UlpMessages.PUSH_H2C_SENT_OFFSET;
import static io.xts.protocol.UlpMessages.PUSH_HPDA_OFFSET;
import static io.xts.protocol.UlpMessages.PUSH_LENGTH;
import static io.xts.protocol.UlpMessages.PUSH_MAXH2CDATA_OFFSET;
import static io.xts.protocol.UlpMessages.PUSH_QID_OFFSET;
import static io.xts.protocol.UlpMessages.PUSH_QSIZE_OFFSET;
import static io.xts.protocol.UlpMessages.PUSH_ULP_OFFSET;
import static io.xts.protocol.UlpMessages.ULP_NVME_TCP;

/**
 * Body of ULP_PUSH (app to proxy): hand the NVMe/TCP framing of an established socket to the proxy, with what
 * ICReq/ICResp negotiated and the stream positions (both PDU boundaries) at which the app hands over.
 */
public final class UlpPushFlyweight extends SocketBodyFlyweight<UlpPushFlyweight>
{
    @Override
    protected UlpPushFlyweight self()
    {
        return this;
    }

    @Override
    protected int requiredLength()
    {
        return PUSH_LENGTH;
    }

    /** @return ULP id ({@link UlpMessages#ULP_NVME_TCP}). */
    public int ulp()
    {
        return u8(PUSH_ULP_OFFSET);
    }

    /** @return flags ({@link UlpMessages#PUSH_FLAG_HDGST}, {@link UlpMessages#PUSH_FLAG_DDGST}). */
    public int flags()
    {
        return u8(PUSH_FLAGS_OFFSET);
    }

    /** @return whether header digests were negotiated. */
    public boolean headerDigest()
    {
        return 0 != (flags() & PUSH_FLAG_HDGST);
    }

    /** @return whether data digests were negotiated. */
    public boolean dataDigest()
    {
        return 0 != (flags() & PUSH_FLAG_DDGST);
    }

    /** @return CPDA from ICResp (0's based dwords): alignment of data in PDUs the controller sends. */
    public int cpda()
    {
        return u8(PUSH_CPDA_OFFSET);
    }

    /** @return HPDA from ICReq (0's based dwords): alignment of data in PDUs the host sends. */
    public int hpda()
    {
        return u8(PUSH_HPDA_OFFSET);
    }

    /** @return MAXH2CDATA from ICResp, unsigned. */
    public long maxH2cData()
    {
        return i32(PUSH_MAXH2CDATA_OFFSET) & 0xFFFF_FFFFL;
    }

    /** @return bytes of the controller-to-host stream the app has consumed (a PDU boundary). */
    public long c2hConsumed()
    {
        return i64(PUSH_C2H_CONSUMED_OFFSET);
    }

    /** @return bytes of the host-to-controller stream the app has sent (a PDU boundary). */
    public long h2cSent()
    {
        return i64(PUSH_H2C_SENT_OFFSET);
    }

    /** @return the NVMe queue id (0 admin). */
    public int qid()
    {
        return u16(PUSH_QID_OFFSET);
    }

    /** @return the queue size (commands in flight at most). */
    public int qsize()
    {
        return u16(PUSH_QSIZE_OFFSET);
    }

    /**
     * Write every field.
     *
     * @return bytes of body written.
     */
    public int write(final boolean headerDigest, final boolean dataDigest, final int cpda, final int hpda,
        final long maxH2cData, final long c2hConsumed, final long h2cSent, final int qid, final int qsize)
    {
        u8(PUSH_ULP_OFFSET, ULP_NVME_TCP);
        u8(PUSH_FLAGS_OFFSET, (headerDigest ? PUSH_FLAG_HDGST : 0) | (dataDigest ? PUSH_FLAG_DDGST : 0));
        u8(PUSH_CPDA_OFFSET, cpda);
        u8(PUSH_HPDA_OFFSET, hpda);
        i32(PUSH_MAXH2CDATA_OFFSET, (int)maxH2cData);
        i64(PUSH_C2H_CONSUMED_OFFSET, c2hConsumed);
        i64(PUSH_H2C_SENT_OFFSET, h2cSent);
        u16(PUSH_QID_OFFSET, qid);
        u16(PUSH_QSIZE_OFFSET, qsize);
        return PUSH_LENGTH;
    }
}
