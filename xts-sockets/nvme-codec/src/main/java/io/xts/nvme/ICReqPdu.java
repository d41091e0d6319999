package io.xts.nvme;

import static io.xts.nvme.NvmeTcp.DGST_DATA;
import static io.xts.nvme.NvmeTcp.DGST_HEADER;
import static io.xts.nvme.NvmeTcp.HLEN_IC;
import static io.xts.nvme.NvmeTcp.TYPE_IC_REQ;

/**
 * ICReq (type 00h, 128 bytes, no data, never digests): the host's first PDU on a connection, offering the PDU format
 * version, the alignment it wants for C2H data (HPDA), the digests it asks for and how many R2Ts it accepts per
 * command (MAXR2T, 0's based).
 */
public final class ICReqPdu extends PduFlyweight<ICReqPdu>
{
    /** Offset of PFV (u16). */
    public static final int PFV_OFFSET = 8;
    /** Offset of HPDA (u8, 0's based dwords). */
    public static final int HPDA_OFFSET = 10;
    /** Offset of DGST (u8: bit 0 header, bit 1 data). */
    public static final int DGST_OFFSET = 11;
    /** Offset of MAXR2T (u32, 0's based). */
    public static final int MAXR2T_OFFSET = 12;
    /** Bytes of the PDU. */
    public static final int LENGTH = HLEN_IC;

    /**
     * Create a flyweight wrapping nothing; {@link #wrap} it before use.
     */
    public ICReqPdu()
    {
    }

    @Override
    protected ICReqPdu self()
    {
        return this;
    }

    /**
     * Write the whole PDU (128 bytes; reserved bytes zeroed, PFV 0).
     *
     * @param hpda         alignment wanted for C2H data, 0's based dwords, 0..31.
     * @param headerDigest whether to ask for header digests.
     * @param dataDigest   whether to ask for data digests.
     * @param maxR2t       outstanding R2Ts per command accepted, 0's based.
     * @return this.
     */
    public ICReqPdu write(final int hpda, final boolean headerDigest, final boolean dataDigest, final long maxR2t)
    {
        NvmeTcp.alignment(hpda);
        zero(8, HLEN_IC - 8);
        writeCommonHeader(TYPE_IC_REQ, 0, HLEN_IC, 0, HLEN_IC);
        u8(HPDA_OFFSET, hpda);
        u8(DGST_OFFSET, (headerDigest ? DGST_HEADER : 0) | (dataDigest ? DGST_DATA : 0));
        i32(MAXR2T_OFFSET, maxR2t);
        return this;
    }

    /** @return PFV, the PDU format version (0). */
    public int pfv()
    {
        return u16(PFV_OFFSET);
    }

    /**

     * @param pfv PFV.

     * @return this.

     */
    public ICReqPdu pfv(final int pfv)
    {
        u16(PFV_OFFSET, pfv);
        return this;
    }

    /** @return HPDA, 0's based dwords. */
    public int hpda()
    {
        return u8(HPDA_OFFSET);
    }

    /** @return the DGST byte. */
    public int dgst()
    {
        return u8(DGST_OFFSET);
    }

    /** @return whether header digests are asked for. */
    public boolean headerDigest()
    {
        return 0 != (dgst() & DGST_HEADER);
    }

    /** @return whether data digests are asked for. */
    public boolean dataDigest()
    {
        return 0 != (dgst() & DGST_DATA);
    }

    /** @return MAXR2T, 0's based. */
    public long maxR2t()
    {
        return u32(MAXR2T_OFFSET);
    }
}
