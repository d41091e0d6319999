package io.xts.nvme;

import static io.xts.nvme.NvmeTcp.DGST_DATA;
import static io.xts.nvme.NvmeTcp.DGST_HEADER;
import static io.xts.nvme.NvmeTcp.HLEN_IC;
import static io.xts.nvme.NvmeTcp.TYPE_IC_RESP;

/**
 * ICResp (type 01h, 128 bytes, no data, never digests): the controller's answer to ICReq, fixing the digests the
 * connection uses, the alignment it wants for H2C data (CPDA) and the most DATA bytes per H2CData PDU (MAXH2CDATA).
 */
public final class ICRespPdu extends PduFlyweight<ICRespPdu>
{
    /** Offset of PFV (u16). */
    public static final int PFV_OFFSET = 8;
    /** Offset of CPDA (u8, 0's based dwords). */
    public static final int CPDA_OFFSET = 10;
    /** Offset of DGST (u8: bit 0 header, bit 1 data). */
    public static final int DGST_OFFSET = 11;
    /** Offset of MAXH2CDATA (u32). */
    public static final int MAXH2CDATA_OFFSET = 12;
    /** Bytes of the PDU. */
    public static final int LENGTH = HLEN_IC;

    /**
     * Create a flyweight wrapping nothing; {@link #wrap} it before use.
     */
    public ICRespPdu()
    {
    }

    @Override
    protected ICRespPdu self()
    {
        return this;
    }

    /**
     * Write the whole PDU (128 bytes; reserved bytes zeroed, PFV 0).
     *
     * @param cpda         alignment wanted for H2C data, 0's based dwords, 0..31.
     * @param headerDigest whether the connection uses header digests.
     * @param dataDigest   whether the connection uses data digests.
     * @param maxH2cData   most DATA bytes per H2CData PDU (a dword multiple, at least 4096).
     * @return this.
     */
    public ICRespPdu write(final int cpda, final boolean headerDigest, final boolean dataDigest, final long maxH2cData)
    {
        NvmeTcp.alignment(cpda);
        zero(8, HLEN_IC - 8);
        writeCommonHeader(TYPE_IC_RESP, 0, HLEN_IC, 0, HLEN_IC);
        u8(CPDA_OFFSET, cpda);
        u8(DGST_OFFSET, (headerDigest ? DGST_HEADER : 0) | (dataDigest ? DGST_DATA : 0));
        i32(MAXH2CDATA_OFFSET, maxH2cData);
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
    public ICRespPdu pfv(final int pfv)
    {
        u16(PFV_OFFSET, pfv);
        return this;
    }

    /** @return CPDA, 0's based dwords. */
    public int cpda()
    {
        return u8(CPDA_OFFSET);
    }

    /** @return the DGST byte. */
    public int dgst()
    {
        return u8(DGST_OFFSET);
    }

    /** @return whether the connection uses header digests. */
    public boolean headerDigest()
    {
        return 0 != (dgst() & DGST_HEADER);
    }

    /** @return whether the connection uses data digests. */
    public boolean dataDigest()
    {
        return 0 != (dgst() & DGST_DATA);
    }

    /** @return MAXH2CDATA in bytes. */
    public long maxH2cData()
    {
        return u32(MAXH2CDATA_OFFSET);
    }
}
