package io.xts.nvme;

import static io.xts.nvme.NvmeTcp.FLAG_LAST_PDU;
import static io.xts.nvme.NvmeTcp.FLAG_SUCCESS;
import static io.xts.nvme.NvmeTcp.HLEN_24;
import static io.xts.nvme.NvmeTcp.TYPE_C2H_DATA;

/**
 * C2HData (type 07h, HLEN 24): read data the controller sends, naming the command (CCCID), where the bytes go in the
 * host's buffer (DATAO) and how many follow (DATAL). LAST_PDU marks the command's last one; SUCCESS (only with
 * LAST_PDU) says the command succeeded and no CapsuleResp follows. DATA starts at PDO, aligned as the host's HPDA
 * asks. This is the PDU the proxy places directly by (CCCID, DATAO).
 */
public final class C2HDataPdu extends DataPduFlyweight<C2HDataPdu>
{
    /**
     * Create a flyweight wrapping nothing; {@link #wrap} it before use.
     */
    public C2HDataPdu()
    {
    }

    @Override
    protected C2HDataPdu self()
    {
        return this;
    }

    /**
     * Write the whole header; DATA goes at {@link #dataOffset()}, then {@link #writeHeaderDigest} and
     * {@link #writeDataDigest} as the digests require.
     *
     * @param headerDigest whether header digests are on.
     * @param dataDigest   whether data digests are on.
     * @param hpda         the host's alignment code.
     * @param cccid        command identifier.
     * @param datao        offset in the host's buffer.
     * @param datal        bytes of DATA (more than 0).
     * @param last         whether this is the command's last C2HData.
     * @param success      whether the command completed successfully without a CapsuleResp (needs {@code last}).
     * @return this.
     */
    public C2HDataPdu write(final boolean headerDigest, final boolean dataDigest, final int hpda, final int cccid,
        final long datao, final long datal, final boolean last, final boolean success)
    {
        if (success && !last)
        {
            throw new IllegalArgumentException("SUCCESS needs LAST_PDU");
        }
        layout(TYPE_C2H_DATA, (last ? FLAG_LAST_PDU : 0) | (success ? FLAG_SUCCESS : 0), HLEN_24, headerDigest,
            dataDigest, hpda, datal);
        psh(cccid, 0, datao, datal);
        return this;
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
