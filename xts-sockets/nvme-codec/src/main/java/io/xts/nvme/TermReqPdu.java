package io.xts.nvme;

import java.lang.foreign.MemorySegment;

import static io.xts.nvme.NvmeTcp.HLEN_24;
import static io.xts.nvme.NvmeTcp.TERM_REQ_MAX_DATA;
import static io.xts.nvme.NvmeTcp.TYPE_C2H_TERM_REQ;
import static io.xts.nvme.NvmeTcp.TYPE_H2C_TERM_REQ;

/**
 * H2CTermReq (02h) and C2HTermReq (03h), which share one layout: the last PDU a side sends after a fatal transport
 * error, with the Fatal Error Status (FES, u16 at 8), Fatal Error Information (FEI, u32 at 10: deliberately not
 * dword aligned) and, as DATA from byte 24, up to 128 bytes of the header that was being processed. FLAGS and PDO are
 * reserved and no digest is ever present, so that a peer whose digest state is broken can still read it.
 */
public final class TermReqPdu extends PduFlyweight<TermReqPdu>
{
    /** Offset of FES (u16). */
    public static final int FES_OFFSET = 8;
    /** Offset of FEI (u32, unaligned). */
    public static final int FEI_OFFSET = 10;
    /** Offset of the 10 reserved bytes between FEI and DATA. */
    public static final int RESERVED_OFFSET = 14;
    /** Offset of the offending header (DATA). */
    public static final int DATA_OFFSET = HLEN_24;

    /**
     * Create a flyweight wrapping nothing; {@link #wrap} it before use.
     */
    public TermReqPdu()
    {
    }

    @Override
    protected TermReqPdu self()
    {
        return this;
    }

    /**
     * Write the header for a given amount of DATA, which the caller then places at {@link #DATA_OFFSET}.
     *
     * @param type       {@link NvmeTcp#TYPE_H2C_TERM_REQ} or {@link NvmeTcp#TYPE_C2H_TERM_REQ}.
     * @param fes        fatal error status.
     * @param fei        fatal error information.
     * @param dataLength bytes of the offending header that follow, 0..128.
     * @return this.
     */
    public TermReqPdu write(final int type, final int fes, final long fei, final int dataLength)
    {
        if (TYPE_H2C_TERM_REQ != type && TYPE_C2H_TERM_REQ != type)
        {
            throw new IllegalArgumentException("not a TermReq type: " + type);
        }
        if (dataLength < 0 || dataLength > TERM_REQ_MAX_DATA)
        {
            throw new IllegalArgumentException("TermReq data " + dataLength + " outside 0.." + TERM_REQ_MAX_DATA);
        }
        zero(8, HLEN_24 - 8);
        writeCommonHeader(type, 0, HLEN_24, 0, HLEN_24 + dataLength);
        u16(FES_OFFSET, fes);
        i32(FEI_OFFSET, fei);
        return this;
    }

    /**
     * Write the whole PDU, copying at most 128 bytes of the offending header as DATA.
     *
     * @param type   {@link NvmeTcp#TYPE_H2C_TERM_REQ} or {@link NvmeTcp#TYPE_C2H_TERM_REQ}.
     * @param fes    fatal error status.
     * @param fei    fatal error information.
     * @param header memory holding the offending header.
     * @param from   its first byte.
     * @param length its bytes available (more than 128 are cut).
     * @return this.
     */
    public TermReqPdu write(final int type, final int fes, final long fei, final MemorySegment header,
        final long from, final long length)
    {
        final int n = (int)Math.min(length, TERM_REQ_MAX_DATA);
        write(type, fes, fei, n);
        MemorySegment.copy(header, from, segment, offset + DATA_OFFSET, n);
        return this;
    }

    /** @return FES. */
    public int fes()
    {
        return u16(FES_OFFSET);
    }

    /** @return FEI, 0 to 2^32 - 1. */
    public long fei()
    {
        return u32(FEI_OFFSET);
    }
}
