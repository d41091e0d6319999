package io.xts.nvme;

import static io.xts.nvme.NvmeTcp.HLEN_24;
import static io.xts.nvme.NvmeTcp.TYPE_CAPSULE_RESP;

/**
 * CapsuleResp (type 05h, HLEN 24, never data): a response capsule, the 16-byte CQE at PDU bytes 8..23
 * ({@link #cqe()}). PDO is reserved and PLEN is exactly 24 plus the header digest.
 */
public final class CapsuleRespPdu extends PduFlyweight<CapsuleRespPdu>
{
    /** Offset of the CQE. */
    public static final int CQE_OFFSET = 8;

    private final Cqe cqe = new Cqe();

    /**
     * Create a flyweight wrapping nothing; {@link #wrap} it before use.
     */
    public CapsuleRespPdu()
    {
    }

    @Override
    protected CapsuleRespPdu self()
    {
        return this;
    }

    @Override
    protected void onWrap()
    {
        cqe.wrap(segment, offset + CQE_OFFSET);
    }

    /**
     * Write the whole header (then {@link #writeHeaderDigest} if digests are on).
     *
     * @param headerDigest whether header digests are on.
     * @param dw0          result DW0.
     * @param dw1          result DW1.
     * @param sqhd         SQ head.
     * @param sqid         SQ id.
     * @param cid          command identifier.
     * @param status       status field.
     * @return this.
     */
    public CapsuleRespPdu write(final boolean headerDigest, final int dw0, final int dw1, final int sqhd,
        final int sqid, final int cid, final int status)
    {
        layout(TYPE_CAPSULE_RESP, 0, HLEN_24, headerDigest, false, 0, 0);
        cqe.write(dw0, dw1, sqhd, sqid, cid, status);
        return this;
    }

    /**
     * @return the CQE, wrapped at PDU byte 8.
     */
    public Cqe cqe()
    {
        return cqe;
    }
}
