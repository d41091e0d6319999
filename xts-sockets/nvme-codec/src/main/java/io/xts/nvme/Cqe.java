package io.xts.nvme;

/**
 * A 16-byte NVMe completion queue entry as a CapsuleResp carries it (PDU bytes 8..23): the command specific result
 * dwords (Connect: CNTLID in DW0; Property Get: the value), SQ head, SQ id, the CID of the completed command and the
 * status field (phase tag bit 0, SC bits 8:1, SCT 11:9, CRD 13:12, M 14, DNR 15). The phase tag has no role on TCP,
 * where there is no completion ring, so {@link #isSuccess()} ignores it.
 */
public final class Cqe extends NvmeFlyweight<Cqe>
{
    /** Offset of DW0. */
    public static final int DW0_OFFSET = 0;
    /** Offset of DW1. */
    public static final int DW1_OFFSET = 4;
    /** Offset of SQHD (u16). */
    public static final int SQHD_OFFSET = 8;
    /** Offset of SQID (u16). */
    public static final int SQID_OFFSET = 10;
    /** Offset of CID (u16). */
    public static final int CID_OFFSET = 12;
    /** Offset of the status field (u16). */
    public static final int STATUS_OFFSET = 14;

    /**
     * Create a flyweight wrapping nothing; {@link #wrap} it before use.
     */
    public Cqe()
    {
    }

    @Override
    protected Cqe self()
    {
        return this;
    }

    /**
     * Write every field.
     *
     * @param dw0    result DW0.
     * @param dw1    result DW1.
     * @param sqhd   SQ head pointer.
     * @param sqid   SQ identifier.
     * @param cid    command identifier.
     * @param status status field ({@link NvmeTcp#status}).
     * @return this.
     */
    public Cqe write(final int dw0, final int dw1, final int sqhd, final int sqid, final int cid, final int status)
    {
        i32(DW0_OFFSET, dw0);
        i32(DW1_OFFSET, dw1);
        u16(SQHD_OFFSET, sqhd);
        u16(SQID_OFFSET, sqid);
        u16(CID_OFFSET, cid);
        u16(STATUS_OFFSET, status);
        return this;
    }

    /** @return DW0, raw. */
    public int dw0()
    {
        return i32(DW0_OFFSET);
    }

    /** @return DW1, raw. */
    public int dw1()
    {
        return i32(DW1_OFFSET);
    }

    /** @return DW1:DW0 as one 64-bit value (Property Get of an 8-byte property). */
    public long result64()
    {
        return i64(DW0_OFFSET);
    }

    /** @return SQHD. */
    public int sqhd()
    {
        return u16(SQHD_OFFSET);
    }

    /** @return SQID. */
    public int sqid()
    {
        return u16(SQID_OFFSET);
    }

    /** @return CID. */
    public int cid()
    {
        return u16(CID_OFFSET);
    }

    /** @return the 16-bit status field, raw (with the phase tag). */
    public int status()
    {
        return u16(STATUS_OFFSET);
    }

    /** @return the phase tag, 0 or 1. */
    public int phase()
    {
        return status() & 1;
    }

    /** @return SC, status code. */
    public int statusCode()
    {
        return (status() >>> 1) & 0xFF;
    }

    /** @return SCT, status code type. */
    public int statusCodeType()
    {
        return (status() >>> 9) & 0x7;
    }

    /** @return CRD, command retry delay index. */
    public int commandRetryDelay()
    {
        return (status() >>> 12) & 0x3;
    }

    /** @return whether M (more) is set. */
    public boolean more()
    {
        return 0 != (status() & NvmeTcp.STATUS_MORE);
    }

    /** @return whether DNR (do not retry) is set. */
    public boolean doNotRetry()
    {
        return 0 != (status() & NvmeTcp.STATUS_DNR);
    }

    /** @return whether SCT and SC are both 0. */
    public boolean isSuccess()
    {
        return 0 == (status() & 0x0FFE);
    }

    /** @return CNTLID assigned by a Connect (DW0 15:0). */
    public int connectCntlid()
    {
        return dw0() & 0xFFFF;
    }
}
