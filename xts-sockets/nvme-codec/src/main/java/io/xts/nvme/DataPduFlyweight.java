package io.xts.nvme;

/**
 * The PSH shared by H2CData, C2HData and R2T (all HLEN 24): CCCID (u16 at 8), a transfer tag (u16 at 10: TTAG in
 * H2CData and R2T, reserved in C2HData), an offset (u32 at 12: DATAO, or R2TO) and a length (u32 at 16: DATAL, or
 * R2TL), then 4 reserved bytes.
 *
 * @param <T> the concrete flyweight.
 */
public abstract class DataPduFlyweight<T extends DataPduFlyweight<T>> extends PduFlyweight<T>
{
    /** Offset of CCCID. */
    public static final int CCCID_OFFSET = 8;
    /** Offset of TTAG (reserved in C2HData). */
    public static final int TTAG_OFFSET = 10;
    /** Offset of DATAO / R2TO. */
    public static final int DATA_OFFSET_OFFSET = 12;
    /** Offset of DATAL / R2TL. */
    public static final int DATA_LENGTH_OFFSET = 16;
    /** Offset of the 4 reserved bytes that end the PSH. */
    public static final int RESERVED_OFFSET = 20;

    /**
     * For subclasses.
     */
    protected DataPduFlyweight()
    {
    }

    /** @return CCCID: the CID of the command this PDU belongs to. */
    public final int cccid()
    {
        return u16(CCCID_OFFSET);
    }

    /**

     * @param cccid CCCID.

     * @return this.

     */
    public final T cccid(final int cccid)
    {
        u16(CCCID_OFFSET, cccid);
        return self();
    }

    /** Write the PSH fields. */
    final void psh(final int cccid, final int ttag, final long offsetInBuffer, final long length)
    {
        u16(CCCID_OFFSET, cccid);
        u16(TTAG_OFFSET, ttag);
        i32(DATA_OFFSET_OFFSET, offsetInBuffer);
        i32(DATA_LENGTH_OFFSET, length);
    }
}
