package io.xts.nvme;

import static io.xts.nvme.NvmeTcp.CH_LENGTH;
import static io.xts.nvme.NvmeTcp.DIGEST_LENGTH;
import static io.xts.nvme.NvmeTcp.FLAG_DDGSTF;
import static io.xts.nvme.NvmeTcp.FLAG_HDGSTF;
import static io.xts.nvme.NvmeTcp.FLAG_LAST_PDU;
import static io.xts.nvme.NvmeTcp.FLAG_SUCCESS;
import static io.xts.nvme.NvmeTcp.TYPE_C2H_TERM_REQ;
import static io.xts.nvme.NvmeTcp.TYPE_H2C_TERM_REQ;

/**
 * The common header (CH) every NVMe/TCP PDU starts with, and what follows from it: PDU-Type (byte 0), FLAGS (1), HLEN
 * (2, bytes of CH + PSH without HDGST), PDO (3, offset of DATA from the PDU's first byte) and PLEN (4..7, u32 LE, the
 * whole PDU with digests and PAD). The per-type flyweights extend it with their PSH fields and a {@code write...}
 * method that lays out a complete header; the digests are stored by {@link #writeHeaderDigest} and
 * {@link #writeDataDigest} once the fields and DATA are final, because they cover them.
 *
 * @param <T> the concrete flyweight.
 */
public abstract class PduFlyweight<T extends PduFlyweight<T>> extends NvmeFlyweight<T>
{
    /** Offset of PDU-Type. */
    public static final int TYPE_OFFSET = 0;
    /** Offset of FLAGS. */
    public static final int FLAGS_OFFSET = 1;
    /** Offset of HLEN. */
    public static final int HLEN_OFFSET = 2;
    /** Offset of PDO. */
    public static final int PDO_OFFSET = 3;
    /** Offset of PLEN. */
    public static final int PLEN_OFFSET = 4;

    /**
     * For subclasses.
     */
    protected PduFlyweight()
    {
    }

    /** @return PDU-Type. */
    public final int type()
    {
        return u8(TYPE_OFFSET);
    }

    /** @return FLAGS. */
    public final int flags()
    {
        return u8(FLAGS_OFFSET);
    }

    /**

     * @param flags FLAGS.

     * @return this.

     */
    public final T flags(final int flags)
    {
        u8(FLAGS_OFFSET, flags);
        return self();
    }

    /** @return HLEN: bytes of CH + PSH, not counting HDGST. */
    public final int hlen()
    {
        return u8(HLEN_OFFSET);
    }

    /** @return PDO: offset of DATA from the PDU's first byte (0 when reserved or without data). */
    public final int pdo()
    {
        return u8(PDO_OFFSET);
    }

    /** @return PLEN: bytes of the whole PDU, 0 to 2^32 - 1. */
    public final long plen()
    {
        return u32(PLEN_OFFSET);
    }

    /** @return whether HDGSTF is set: HDGST follows the header. */
    public final boolean hasHeaderDigest()
    {
        return 0 != (flags() & FLAG_HDGSTF);
    }

    /** @return whether DDGSTF is set: DDGST follows DATA. */
    public final boolean hasDataDigest()
    {
        return 0 != (flags() & FLAG_DDGSTF);
    }

    /** @return whether LAST_PDU is set (H2CData, C2HData). */
    public final boolean isLastPdu()
    {
        return 0 != (flags() & FLAG_LAST_PDU);
    }

    /** @return whether SUCCESS is set (C2HData). */
    public final boolean isSuccess()
    {
        return 0 != (flags() & FLAG_SUCCESS);
    }

    /** @return bytes of the header as sent: HLEN plus HDGST when flagged. */
    public final int headerLengthWithDigest()
    {
        return hlen() + (hasHeaderDigest() ? DIGEST_LENGTH : 0);
    }

    /**
     * @return offset of DATA from the PDU's first byte: HLEN for a TermReq (its PDO is reserved), else PDO.
     */
    public final int dataOffset()
    {
        return isTermReq() ? hlen() : pdo();
    }

    /**
     * @return bytes of DATA, as PLEN, PDO and DDGSTF give them: 0 for a PDU without data (PDO 0).
     */
    public final long dataLength()
    {
        if (isTermReq())
        {
            return plen() - hlen();
        }
        final int pdo = pdo();
        return 0 == pdo ? 0 : plen() - pdo - (hasDataDigest() ? DIGEST_LENGTH : 0);
    }

    private boolean isTermReq()
    {
        final int type = type();
        return TYPE_H2C_TERM_REQ == type || TYPE_C2H_TERM_REQ == type;
    }

    /**
     * Write the common header.
     *
     * @param type  PDU-Type.
     * @param flags FLAGS.
     * @param hlen  HLEN.
     * @param pdo   PDO.
     * @param plen  PLEN.
     * @return this.
     */
    public final T writeCommonHeader(final int type, final int flags, final int hlen, final int pdo, final long plen)
    {
        u8(TYPE_OFFSET, type);
        u8(FLAGS_OFFSET, flags);
        u8(HLEN_OFFSET, hlen);
        u8(PDO_OFFSET, pdo);
        i32(PLEN_OFFSET, plen);
        return self();
    }

    /**
     * Lay out the header of a PDU type that may carry data covered by digests: FLAGS with HDGSTF, and DDGSTF only
     * when there is data (a PDU without data has no DDGST); PDO from the receiver's alignment (0 without data);
     * PLEN from all of them. The PSH is zeroed, and so is PAD, so that no stale bytes go out.
     *
     * @param type         PDU-Type.
     * @param extraFlags   LAST_PDU / SUCCESS bits to add.
     * @param hlen         the type's HLEN.
     * @param headerDigest whether header digests are on for the connection.
     * @param dataDigest   whether data digests are on for the connection.
     * @param pda          the receiver's alignment code (HPDA for C2H, CPDA for H2C).
     * @param dataLength   bytes of DATA.
     * @return this.
     */
    protected final T layout(final int type, final int extraFlags, final int hlen, final boolean headerDigest,
        final boolean dataDigest, final int pda, final long dataLength)
    {
        final int hdgst = headerDigest ? DIGEST_LENGTH : 0;
        final int flags = (headerDigest ? FLAG_HDGSTF : 0) | (dataDigest && dataLength > 0 ? FLAG_DDGSTF : 0) |
            extraFlags;
        final int pdo;
        final long plen;
        if (dataLength > 0)
        {
            pdo = NvmeTcp.dataOffset(hlen, headerDigest, pda);
            plen = pdo + dataLength + (dataDigest ? DIGEST_LENGTH : 0);
            zero(hlen + hdgst, pdo - hlen - hdgst);
        }
        else
        {
            pdo = 0;
            plen = hlen + hdgst;
        }
        if (plen > 0xFFFF_FFFFL || dataLength < 0)
        {
            throw new IllegalArgumentException("data length " + dataLength + " does not fit PLEN");
        }
        zero(CH_LENGTH, hlen - CH_LENGTH);
        return writeCommonHeader(type, flags, hlen, pdo, plen);
    }

    /**
     * Compute and store HDGST after the header, if HDGSTF is set; call once every PSH field is final.
     *
     * @param crc a digest to compute with.
     * @return this.
     */
    public final T writeHeaderDigest(final Crc32c crc)
    {
        if (hasHeaderDigest())
        {
            crc.writeHeaderDigest(segment, offset);
        }
        return self();
    }

    /**
     * Compute and store DDGST after DATA, if DDGSTF is set; DATA must be in place, contiguous after the header.
     *
     * @param crc a digest to compute with.
     * @return this.
     */
    public final T writeDataDigest(final Crc32c crc)
    {
        if (hasDataDigest())
        {
            crc.writeDataDigest(segment, offset + dataOffset(), dataLength());
        }
        return self();
    }

    /**
     * @param crc a digest to compute with.
     * @return whether HDGST is absent or matches the header.
     */
    public final boolean verifyHeaderDigest(final Crc32c crc)
    {
        return !hasHeaderDigest() || crc.verifyHeaderDigest(segment, offset);
    }

    /**
     * @param crc a digest to compute with.
     * @return whether DDGST is absent or matches DATA (the whole PDU must be contiguous in memory).
     */
    public final boolean verifyDataDigest(final Crc32c crc)
    {
        return !hasDataDigest() || crc.verifyDataDigest(segment, offset + dataOffset(), dataLength());
    }
}
