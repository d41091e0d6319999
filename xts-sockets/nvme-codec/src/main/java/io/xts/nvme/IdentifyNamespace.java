package io.xts.nvme;

import static io.xts.nvme.NvmeTcp.IDENTIFY_DATA_LENGTH;

/**
 * Identify Namespace data (CNS 00h, NVM command set, 4096 bytes): the sizes in logical blocks (NSZE, NCAP, NUSE), the
 * formatted LBA size (FLBAS selects one of the LBA formats at 128.., each a u32 with metadata bytes, LBADS and relative
 * performance), and identifiers. {@link #blockSize()} and {@link #capacityBytes()} give what a host needs to issue
 * Read and Write.
 */
public final class IdentifyNamespace extends NvmeFlyweight<IdentifyNamespace>
{
    /** Bytes of the structure. */
    public static final int LENGTH = IDENTIFY_DATA_LENGTH;
    /** Offset of NSZE. */
    public static final int NSZE_OFFSET = 0;
    /** Offset of NCAP. */
    public static final int NCAP_OFFSET = 8;
    /** Offset of NUSE. */
    public static final int NUSE_OFFSET = 16;
    /** Offset of NSFEAT. */
    public static final int NSFEAT_OFFSET = 24;
    /** Offset of NLBAF (0's based). */
    public static final int NLBAF_OFFSET = 25;
    /** Offset of FLBAS. */
    public static final int FLBAS_OFFSET = 26;
    /** Offset of NGUID (16 bytes). */
    public static final int NGUID_OFFSET = 104;
    /** Offset of EUI64 (8 bytes). */
    public static final int EUI64_OFFSET = 120;
    /** Offset of LBAF[0]. */
    public static final int LBAF_OFFSET = 128;
    /** Number of LBA format entries. */
    public static final int LBAF_COUNT = 64;

    /**
     * Create a flyweight wrapping nothing; {@link #wrap} it before use.
     */
    public IdentifyNamespace()
    {
    }

    @Override
    protected IdentifyNamespace self()
    {
        return this;
    }

    /**
     * Zero all 4096 bytes.
     *
     * @return this.
     */
    public IdentifyNamespace clear()
    {
        zero(0, LENGTH);
        return this;
    }

    /** @return NSZE, in logical blocks. */
    public long nsze()
    {
        return i64(NSZE_OFFSET);
    }

    /**

     * @param blocks NSZE.

     * @return this.

     */
    public IdentifyNamespace nsze(final long blocks)
    {
        i64(NSZE_OFFSET, blocks);
        return this;
    }

    /** @return NCAP, in logical blocks. */
    public long ncap()
    {
        return i64(NCAP_OFFSET);
    }

    /**

     * @param blocks NCAP.

     * @return this.

     */
    public IdentifyNamespace ncap(final long blocks)
    {
        i64(NCAP_OFFSET, blocks);
        return this;
    }

    /** @return NUSE, in logical blocks. */
    public long nuse()
    {
        return i64(NUSE_OFFSET);
    }

    /**

     * @param blocks NUSE.

     * @return this.

     */
    public IdentifyNamespace nuse(final long blocks)
    {
        i64(NUSE_OFFSET, blocks);
        return this;
    }

    /** @return NSFEAT. */
    public int nsfeat()
    {
        return u8(NSFEAT_OFFSET);
    }

    /** @return NLBAF, 0's based. */
    public int nlbaf()
    {
        return u8(NLBAF_OFFSET);
    }

    /**

     * @param nlbaf NLBAF.

     * @return this.

     */
    public IdentifyNamespace nlbaf(final int nlbaf)
    {
        u8(NLBAF_OFFSET, nlbaf);
        return this;
    }

    /** @return FLBAS. */
    public int flbas()
    {
        return u8(FLBAS_OFFSET);
    }

    /**

     * @param flbas FLBAS.

     * @return this.

     */
    public IdentifyNamespace flbas(final int flbas)
    {
        u8(FLBAS_OFFSET, flbas);
        return this;
    }

    /** @return the LBA format in use: FLBAS bits 3:0, with bits 6:5 as the high bits. */
    public int formatIndex()
    {
        final int flbas = flbas();
        return (flbas & 0x0F) | ((flbas & 0x60) >>> 1);
    }

    /** @return whether metadata is transferred at the end of each block (FLBAS bit 4). */
    public boolean extendedMetadata()
    {
        return 0 != (flbas() & 0x10);
    }

    /**

     * @param index 0..63.

     * @return LBAF[index], raw.

     */
    public int lbaf(final int index)
    {
        return i32(LBAF_OFFSET + 4L * index);
    }

    /**
     * @param index           0..63.
     * @param metadataBytes   MS.
     * @param lbads           LBADS (block size 2^LBADS).
     * @param relativePerformance RP, 0..3.
     * @return this.
     */
    public IdentifyNamespace lbaf(final int index, final int metadataBytes, final int lbads,
        final int relativePerformance)
    {
        i32(LBAF_OFFSET + 4L * index,
            (metadataBytes & 0xFFFF) | (lbads & 0xFF) << 16 | (relativePerformance & 0x3) << 24);
        return this;
    }

    /**

     * @param index 0..63.

     * @return MS of LBAF[index].

     */
    public int metadataSize(final int index)
    {
        return lbaf(index) & 0xFFFF;
    }

    /**

     * @param index 0..63.

     * @return LBADS of LBAF[index].

     */
    public int lbads(final int index)
    {
        return (lbaf(index) >>> 16) & 0xFF;
    }

    /**

     * @param index 0..63.

     * @return RP of LBAF[index].

     */
    public int relativePerformance(final int index)
    {
        return (lbaf(index) >>> 24) & 0x3;
    }

    /** @return bytes of a logical block in the format in use. */
    public long blockSize()
    {
        return 1L << lbads(formatIndex());
    }

    /** @return NSZE x block size. */
    public long capacityBytes()
    {
        return nsze() << lbads(formatIndex());
    }
}
