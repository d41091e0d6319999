package io.xts.proxy;

import io.xts.nvme.Crc32c;
import io.xts.nvme.NvmeTcp;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static io.xts.nvme.NvmeTcp.DIGEST_LENGTH;
import static io.xts.nvme.NvmeTcp.FLAG_DDGSTF;
import static io.xts.nvme.NvmeTcp.FLAG_HDGSTF;
import static io.xts.nvme.NvmeTcp.FLAG_LAST_PDU;
import static io.xts.nvme.NvmeTcp.FLAG_SUCCESS;
import static io.xts.nvme.NvmeTcp.HLEN_24;
import static io.xts.nvme.NvmeTcp.LE_INT;
import static io.xts.nvme.NvmeTcp.LE_SHORT;
import static io.xts.nvme.NvmeTcp.TERM_REQ_MAX_PLEN;
import static io.xts.nvme.NvmeTcp.TYPE_C2H_DATA;
import static io.xts.nvme.NvmeTcp.TYPE_C2H_TERM_REQ;
import static io.xts.nvme.NvmeTcp.TYPE_CAPSULE_RESP;
import static io.xts.nvme.NvmeTcp.TYPE_R2T;

/**
 * Whether bytes of the controller-to-host stream could be the start of a PDU header, for the resync search: the
 * checks of NVME-TCP-FACTS.md section 8, rows 1 to 7 and 9, in byte order so that most positions fail on the first
 * byte. Row 8 (the command id is outstanding) is not used: the proxy only knows commands with a registration. Rows 10
 * and 11 (the chain, the app's confirmation) are the caller's. Reads only the bytes it needs, allocates nothing.
 */
final class C2HHeaderCheck
{
    /** More bytes are needed to decide. */
    static final long NEED_MORE = -1;
    /** Not a plausible header. */
    static final long NO = 0;

    private final boolean headerDigest;
    private final boolean dataDigest;
    private final int c2hDataPdo;
    private final long maxDataLength;
    private final Crc32c crc = new Crc32c();

    /**
     * @param headerDigest  negotiated header digest.
     * @param dataDigest    negotiated data digest.
     * @param hpda          the host's alignment code for the data it receives.
     * @param maxDataLength most DATA bytes a C2HData may carry.
     */
    C2HHeaderCheck(final boolean headerDigest, final boolean dataDigest, final int hpda, final long maxDataLength)
    {
        this.headerDigest = headerDigest;
        this.dataDigest = dataDigest;
        this.c2hDataPdo = NvmeTcp.dataOffset(HLEN_24, headerDigest, hpda);
        this.maxDataLength = maxDataLength;
    }

    /**
     * @param memory    where the bytes are.
     * @param at        the candidate's first byte.
     * @param available bytes there are from {@code at} on.
     * @return the candidate's PLEN (more than 0) when it passes, {@link #NO}, or {@link #NEED_MORE} when the bytes
     *         available do not decide.
     */
    long check(final MemorySegment memory, final long at, final long available)
    {
        if (available < 4)
        {
            return available < 1 || plausibleType(u8(memory, at)) ? NEED_MORE : NO;
        }
        final int type = u8(memory, at);
        if (!plausibleType(type))
        {
            return NO;
        }
        final int flags = u8(memory, at + 1);
        if (0 != (flags & ~NvmeTcp.validFlags(type)))
        {
            return NO;
        }
        final boolean hdgst = headerDigest && TYPE_C2H_TERM_REQ != type;
        if ((0 != (flags & FLAG_HDGSTF)) != hdgst)
        {
            return NO;
        }
        if (TYPE_C2H_DATA == type && ((0 != (flags & FLAG_DDGSTF)) != dataDigest))
        {
            return NO;
        }
        if (0 != (flags & FLAG_SUCCESS) && 0 == (flags & FLAG_LAST_PDU))
        {
            return NO;
        }
        if (HLEN_24 != u8(memory, at + 2))
        {
            return NO;
        }
        if (u8(memory, at + 3) != (TYPE_C2H_DATA == type ? c2hDataPdo : 0))
        {
            return NO;
        }
        if (available < 8)
        {
            return NEED_MORE;
        }
        final int headerEnd = HLEN_24 + (hdgst ? DIGEST_LENGTH : 0);
        final long plen = u32(memory, at + 4);
        switch (type)
        {
            case TYPE_CAPSULE_RESP, TYPE_R2T ->
            {
                if (plen != headerEnd)
                {
                    return NO;
                }
            }
            case TYPE_C2H_TERM_REQ ->
            {
                if (plen < HLEN_24 || plen > TERM_REQ_MAX_PLEN)
                {
                    return NO;
                }
            }
            default ->
            {
                if (plen < c2hDataPdo + 4 + (dataDigest ? DIGEST_LENGTH : 0))
                {
                    return NO;
                }
            }
        }
        if (available < HLEN_24)
        {
            return NEED_MORE;
        }
        switch (type)
        {
            case TYPE_C2H_DATA ->
            {
                final long datao = u32(memory, at + 12);
                final long datal = u32(memory, at + 16);
                if (0 != u16(memory, at + 10) || 0 != u32(memory, at + 20) || 0 != (datao & 3) ||
                    0 == datal || 0 != (datal & 3) || datal > maxDataLength ||
                    plen != c2hDataPdo + datal + (dataDigest ? DIGEST_LENGTH : 0))
                {
                    return NO;
                }
            }
            case TYPE_R2T ->
            {
                final long r2tl = u32(memory, at + 16);
                if (0 != u32(memory, at + 20) || 0 != (u32(memory, at + 12) & 3) || 0 == r2tl || 0 != (r2tl & 3))
                {
                    return NO;
                }
            }
            case TYPE_C2H_TERM_REQ ->
            {
                final int fes = u16(memory, at + 8);
                if (fes < NvmeTcp.FES_INVALID_HEADER_FIELD || fes > NvmeTcp.FES_UNSUPPORTED_PARAMETER ||
                    0 != u16(memory, at + 14) || 0 != memory.get(ValueLayout.JAVA_LONG_UNALIGNED, at + 16))
                {
                    return NO;
                }
            }
            default ->
            {
                // CapsuleResp: the CQE has no field that must hold a fixed value.
            }
        }
        if (hdgst)
        {
            if (available < headerEnd)
            {
                return NEED_MORE;
            }
            if (crc.reset().update(memory, at, HLEN_24).value() != memory.get(LE_INT, at + HLEN_24))
            {
                return NO;
            }
        }
        return plen;
    }

    private static boolean plausibleType(final int type)
    {
        return TYPE_C2H_TERM_REQ == type || TYPE_CAPSULE_RESP == type || TYPE_C2H_DATA == type || TYPE_R2T == type;
    }

    private static int u8(final MemorySegment memory, final long at)
    {
        return memory.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }

    private static int u16(final MemorySegment memory, final long at)
    {
        return memory.get(LE_SHORT, at) & 0xFFFF;
    }

    private static long u32(final MemorySegment memory, final long at)
    {
        return memory.get(LE_INT, at) & 0xFFFF_FFFFL;
    }
}
