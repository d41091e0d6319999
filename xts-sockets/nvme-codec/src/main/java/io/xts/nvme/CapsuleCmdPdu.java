package io.xts.nvme;

import static io.xts.nvme.NvmeTcp.HLEN_CAPSULE_CMD;
import static io.xts.nvme.NvmeTcp.TYPE_CAPSULE_CMD;

/**
 * CapsuleCmd (type 04h, HLEN 72): a command capsule, the 64-byte SQE at PDU bytes 8..71 ({@link #sqe()}), optionally
 * followed (after HDGST and PAD) by in-capsule data, which alone makes it carry DDGSTF. PDO is 0 without data.
 */
public final class CapsuleCmdPdu extends PduFlyweight<CapsuleCmdPdu>
{
    /** Offset of the SQE. */
    public static final int SQE_OFFSET = 8;

    private final Sqe sqe = new Sqe();

    /**
     * Create a flyweight wrapping nothing; {@link #wrap} it before use.
     */
    public CapsuleCmdPdu()
    {
    }

    @Override
    protected CapsuleCmdPdu self()
    {
        return this;
    }

    @Override
    protected void onWrap()
    {
        sqe.wrap(segment, offset + SQE_OFFSET);
    }

    /**
     * Write the common header and zero the SQE (fill it through {@link #sqe()}) and PAD; in-capsule data goes at
     * {@link #dataOffset()}.
     *
     * @param headerDigest whether header digests are on.
     * @param dataDigest   whether data digests are on.
     * @param cpda         the controller's alignment code from ICResp.
     * @param dataLength   bytes of in-capsule data, 0 for none.
     * @return this.
     */
    public CapsuleCmdPdu writeHeader(final boolean headerDigest, final boolean dataDigest, final int cpda,
        final long dataLength)
    {
        return layout(TYPE_CAPSULE_CMD, 0, HLEN_CAPSULE_CMD, headerDigest, dataDigest, cpda, dataLength);
    }

    /**
     * @return the SQE, wrapped at PDU byte 8.
     */
    public Sqe sqe()
    {
        return sqe;
    }
}
