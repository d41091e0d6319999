package io.xts.nvme;

import static io.xts.nvme.NvmeTcp.FLAG_LAST_PDU;
import static io.xts.nvme.NvmeTcp.HLEN_24;
import static io.xts.nvme.NvmeTcp.TYPE_H2C_DATA;

/**
 * H2CData (type 06h, HLEN 24): write data the host sends in answer to an R2T, naming the command (CCCID), the R2T's
 * transfer tag (TTAG), where the bytes go in the command's buffer (DATAO) and how many follow (DATAL, at most
 * MAXH2CDATA). LAST_PDU marks the last one for an R2T. DATA starts at PDO, aligned as the controller's CPDA asks.
 */
public final class H2CDataPdu extends DataPduFlyweight<H2CDataPdu>
{
    /**
     * Create a flyweight wrapping nothing; {@link #wrap} it before use.
     */
    public H2CDataPdu()
    {
    }

    @Override
    protected H2CDataPdu self()
    {
        return this;
    }

    /**
     * Write the whole header; DATA goes at {@link #dataOffset()}, then {@link #writeHeaderDigest} and
     * {@link #writeDataDigest} as the digests require.
     *
     * @param headerDigest whether header digests are on.
     * @param dataDigest   whether data digests are on.
     * @param cpda         the controller's alignment code.
     * @param cccid        command identifier.
     * @param ttag         transfer tag from the R2T.
     * @param datao        offset in the command's buffer.
     * @param datal        bytes of DATA (more than 0).
     * @param last         whether this is the last H2CData for the R2T.
     * @return this.
     */
    public H2CDataPdu write(final boolean headerDigest, final boolean dataDigest, final int cpda, final int cccid,
        final int ttag, final long datao, final long datal, final boolean last)
    {
        layout(TYPE_H2C_DATA, last ? FLAG_LAST_PDU : 0, HLEN_24, headerDigest, dataDigest, cpda, datal);
        psh(cccid, ttag, datao, datal);
        return this;
    }

    /** @return TTAG. */
    public int ttag()
    {
        return u16(TTAG_OFFSET);
    }

    /** @return DATAO. */
    public long datao()
    {
        return u32(DATA_OFFSET_OFFSET);
    }

    /** @return DATAL. */
    public long datal()
    {
        return u32(DATA_LENGTH_OFFSET);
    }
}
