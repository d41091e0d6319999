package io.xts.proxy;

import io.xts.nvme.Crc32c;
import io.xts.nvme.NvmeTcp;
import io.xts.nvme.PduError;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static io.xts.nvme.NvmeTcp.CH_LENGTH;
import static io.xts.nvme.NvmeTcp.DIGEST_LENGTH;
import static io.xts.nvme.NvmeTcp.FLAG_DDGSTF;
import static io.xts.nvme.NvmeTcp.FLAG_HDGSTF;
import static io.xts.nvme.NvmeTcp.HLEN_24;
import static io.xts.nvme.NvmeTcp.HLEN_CAPSULE_CMD;
import static io.xts.nvme.NvmeTcp.LE_INT;
import static io.xts.nvme.NvmeTcp.TERM_REQ_MAX_PLEN;
import static io.xts.nvme.NvmeTcp.TYPE_CAPSULE_CMD;
import static io.xts.nvme.NvmeTcp.TYPE_H2C_DATA;
import static io.xts.nvme.NvmeTcp.TYPE_H2C_TERM_REQ;

/**
 * Transmit digest offload for one offloaded socket: follows the host-to-controller NVMe/TCP stream the app sends as
 * DATA (CapsuleCmd, H2CData, H2CTermReq, with HDGSTF/DDGSTF set as negotiated and four zero bytes where each digest
 * goes), and as each DATA body is handed over, before it is written to TCP, gathered or kept pending, computes the
 * CRC32C of each header and of each PDU's DATA and writes the values over the placeholders, in place in the memory the
 * body arrived in. The framing is followed across body boundaries: a header, its digest, PAD, DATA and its digest may
 * each be cut anywhere, the placeholder bytes included (the value is known by then, since a digest follows what it
 * covers).
 * <p>
 * Each header is checked as the controller would (so a broken app fails here, with a text naming the field, rather than
 * at the controller): type H2CTermReq, CapsuleCmd or H2CData only; FLAGS only the type's bits, HDGSTF and DDGSTF equal
 * to the negotiated digests (DDGSTF only with data); HLEN the type's; PDO 0 without data, else exactly the offset the
 * controller's alignment (CPDA) gives; PLEN at least header, digests and one data byte, H2CData DATAL equal to the data
 * length and at most MAXH2CDATA, in-capsule data at most the configured limit, a TermReq 24..152. A failure is
 * reported once ({@link #errorText()}) and the writer refuses everything after it; the socket must end.
 * <p>
 * Nothing is allocated per PDU or per body (the error text excepted); the CRC works on the caller's memory directly
 * when the same segment instance is passed each time (see {@link Crc32c}). Single-threaded.
 */
final class H2CDigestWriter
{
    private static final int HEADER = 0;
    private static final int HDGST = 1;
    private static final int PAD = 2;
    private static final int DATA = 3;
    private static final int DDGST = 4;
    private static final int FAILED = 5;

    private final boolean headerDigest;
    private final boolean dataDigest;
    private final int cpda;
    private final long maxH2cData;
    private final long maxInCapsule;
    private final byte[] headerBytes = new byte[HLEN_CAPSULE_CMD];
    private final MemorySegment header = MemorySegment.ofArray(headerBytes);
    private final Crc32c headerCrc = new Crc32c();
    private final Crc32c dataCrc = new Crc32c();

    private int state = HEADER;
    private int have;
    private int need = CH_LENGTH;
    private int digest;
    private long skip;
    private long dataLeft;
    private boolean pduDataDigest;
    private long position;
    private long pduStart;
    private long digestsWritten;
    private String error;

    /**
     * @param headerDigest whether header digests were negotiated.
     * @param dataDigest   whether data digests were negotiated.
     * @param cpda         the controller's alignment code for data it receives (0's based dwords).
     * @param maxH2cData   MAXH2CDATA from ICResp.
     * @param maxInCapsule most in-capsule data bytes a CapsuleCmd may carry.
     * @param position     the host-to-controller stream offset the app hands over at (a PDU boundary).
     */
    H2CDigestWriter(
        final boolean headerDigest, final boolean dataDigest, final int cpda, final long maxH2cData,
        final long maxInCapsule, final long position)
    {
        this.headerDigest = headerDigest;
        this.dataDigest = dataDigest;
        this.cpda = cpda;
        this.maxH2cData = maxH2cData;
        this.maxInCapsule = maxInCapsule;
        this.position = position;
        this.pduStart = position;
    }

    /**
     * Follow one DATA body of the stream and fill the digests that fall in it.
     *
     * @param memory where the body is (writable).
     * @param offset its first byte.
     * @param length its bytes.
     * @return false when the stream is malformed (now or before): the socket must end; {@link #errorText()} says why.
     */
    boolean onData(final MemorySegment memory, final long offset, final int length)
    {
        long at = offset;
        final long end = offset + length;
        while (at < end)
        {
            switch (state)
            {
                case HEADER ->
                {
                    final int n = (int)Math.min(need - have, end - at);
                    MemorySegment.copy(memory, at, header, have, n);
                    have += n;
                    at += n;
                    position += n;
                    if (have == need && !headerStep())
                    {
                        return false;
                    }
                }
                case HDGST, DDGST ->
                {
                    final int n = (int)Math.min(DIGEST_LENGTH - have, end - at);
                    for (int i = 0; i < n; i++)
                    {
                        // The digest is stored little endian: byte k of the placeholder is bits 8k..8k+7.
                        memory.set(ValueLayout.JAVA_BYTE, at + i, (byte)(digest >>> (8 * (have + i))));
                    }
                    have += n;
                    at += n;
                    position += n;
                    if (DIGEST_LENGTH == have)
                    {
                        digestsWritten++;
                        if (HDGST == state)
                        {
                            afterHeaderDigest();
                        }
                        else
                        {
                            nextPdu();
                        }
                    }
                }
                case PAD ->
                {
                    final long n = Math.min(skip, end - at);
                    skip -= n;
                    at += n;
                    position += n;
                    if (0 == skip)
                    {
                        startData();
                    }
                }
                case DATA ->
                {
                    final long n = Math.min(dataLeft, end - at);
                    if (pduDataDigest)
                    {
                        dataCrc.update(memory, at, n);
                    }
                    dataLeft -= n;
                    at += n;
                    position += n;
                    if (0 == dataLeft)
                    {
                        afterData();
                    }
                }
                default ->
                {
                    return false;
                }
            }
        }
        return FAILED != state;
    }

    /** @return digests written so far (header and data digests each count one). */
    long digestsWritten()
    {
        return digestsWritten;
    }

    /** @return bytes of the host-to-controller stream followed so far (from the start of the connection). */
    long position()
    {
        return position;
    }

    /** @return whether the writer stands at a PDU boundary (the app's next byte starts a header). */
    boolean atBoundary()
    {
        return HEADER == state && 0 == have;
    }

    /** @return what was malformed, or null. */
    String errorText()
    {
        return error;
    }

    private boolean headerStep()
    {
        if (CH_LENGTH == need)
        {
            return checkCommonHeader();
        }
        // The whole header is in: check what needs the PSH, then compute its digest.
        final int type = type();
        if (TYPE_H2C_DATA == type)
        {
            final long datal = u32(16);
            final long derived = plen() - pdo() - (0 != (flags() & FLAG_DDGSTF) ? DIGEST_LENGTH : 0);
            if (datal != derived)
            {
                return fail(PduError.DATAL_MISMATCH, datal, derived);
            }
        }
        final boolean hdgst = 0 != (flags() & FLAG_HDGSTF);
        have = 0;
        if (hdgst)
        {
            digest = headerCrc.reset().update(header, 0, need).value();
            state = HDGST;
        }
        else
        {
            afterHeaderDigest();
        }
        return true;
    }

    private boolean checkCommonHeader()
    {
        final int type = type();
        if (!NvmeTcp.isKnownType(type))
        {
            return fail(PduError.UNKNOWN_TYPE, type, 0);
        }
        if (NvmeTcp.isControllerToHost(type))
        {
            return fail(PduError.WRONG_DIRECTION, type, 0);
        }
        if (TYPE_CAPSULE_CMD != type && TYPE_H2C_DATA != type && TYPE_H2C_TERM_REQ != type)
        {
            // ICReq: the app's initialization was over before it pushed the ULP.
            return fail(PduError.UNEXPECTED_TYPE, type, 0);
        }
        final int flags = flags();
        final int valid = NvmeTcp.validFlags(type);
        if (0 != (flags & ~valid))
        {
            return fail(PduError.RESERVED_FLAGS, flags, valid);
        }
        final boolean hdgst = headerDigest && NvmeTcp.takesHeaderDigest(type);
        if ((0 != (flags & FLAG_HDGSTF)) != hdgst)
        {
            return fail(PduError.HEADER_DIGEST_FLAG, flags & FLAG_HDGSTF, hdgst ? 1 : 0);
        }
        final int hlen = hlen();
        final int headerEnd = hlen + (hdgst ? DIGEST_LENGTH : 0);
        final long plen = plen();
        final boolean carriesData = TYPE_H2C_DATA == type || (TYPE_CAPSULE_CMD == type && plen > headerEnd) ||
            (TYPE_H2C_TERM_REQ == type && plen > HLEN_24);
        if (NvmeTcp.takesDataDigest(type))
        {
            final boolean ddgst = dataDigest && carriesData;
            if ((0 != (flags & FLAG_DDGSTF)) != ddgst)
            {
                return fail(PduError.DATA_DIGEST_FLAG, (flags & FLAG_DDGSTF) >>> 1, ddgst ? 1 : 0);
            }
        }
        final int expectedHlen = NvmeTcp.headerLength(type);
        if (hlen != expectedHlen)
        {
            return fail(PduError.BAD_HLEN, hlen, expectedHlen);
        }
        final int pdo = pdo();
        final int expectedPdo = carriesData && TYPE_H2C_TERM_REQ != type ?
            NvmeTcp.dataOffset(hlen, hdgst, cpda) : 0;
        if (pdo != expectedPdo)
        {
            return fail(PduError.BAD_PDO, pdo, expectedPdo);
        }
        if (plen < headerEnd)
        {
            return fail(PduError.PLEN_TOO_SHORT, plen, headerEnd);
        }
        final int ddgst = 0 != (flags & FLAG_DDGSTF) ? DIGEST_LENGTH : 0;
        if (TYPE_H2C_TERM_REQ == type)
        {
            if (plen > TERM_REQ_MAX_PLEN)
            {
                return fail(PduError.PLEN_BEYOND_LIMIT, plen, TERM_REQ_MAX_PLEN);
            }
        }
        else if (carriesData)
        {
            if (plen < (long)pdo + 1 + ddgst)
            {
                return fail(PduError.PLEN_TOO_SHORT, plen, pdo + 1 + ddgst);
            }
            final long limit = TYPE_H2C_DATA == type ? maxH2cData : maxInCapsule;
            if (plen - pdo - ddgst > limit)
            {
                return fail(PduError.PLEN_BEYOND_LIMIT, plen, pdo + limit + ddgst);
            }
        }
        need = hlen;
        return true;
    }

    private void afterHeaderDigest()
    {
        final int hlen = hlen();
        final int headerEnd = hlen + (0 != (flags() & FLAG_HDGSTF) ? DIGEST_LENGTH : 0);
        final long plen = plen();
        final int ddgst = 0 != (flags() & FLAG_DDGSTF) ? DIGEST_LENGTH : 0;
        if (plen == headerEnd)
        {
            nextPdu();
            return;
        }
        // TermReq data starts right after its 24 bytes (PDO is reserved there); other PDUs' at PDO.
        final long dataStart = TYPE_H2C_TERM_REQ == type() ? HLEN_24 : pdo();
        dataLeft = plen - dataStart - ddgst;
        pduDataDigest = 0 != ddgst;
        skip = dataStart - headerEnd;
        if (skip > 0)
        {
            state = PAD;
        }
        else
        {
            startData();
        }
    }

    private void startData()
    {
        if (pduDataDigest)
        {
            dataCrc.reset();
        }
        state = DATA;
    }

    private void afterData()
    {
        if (pduDataDigest)
        {
            digest = dataCrc.value();
            have = 0;
            state = DDGST;
        }
        else
        {
            nextPdu();
        }
    }

    private void nextPdu()
    {
        state = HEADER;
        have = 0;
        need = CH_LENGTH;
        pduStart = position;
    }

    private boolean fail(final PduError why, final long value, final long expected)
    {
        state = FAILED;
        final int type = type();
        final String context = PduError.WRONG_DIRECTION == why ? "controller" : "initialization is over";
        error = "app's " + NvmeTcp.typeName(type) + " PDU at host-to-controller stream offset " + pduStart + ": " +
            why.describe(NvmeTcp.typeName(type), value, expected, context);
        return false;
    }

    private int type()
    {
        return headerBytes[0] & 0xFF;
    }

    private int flags()
    {
        return headerBytes[1] & 0xFF;
    }

    private int hlen()
    {
        return headerBytes[2] & 0xFF;
    }

    private int pdo()
    {
        return headerBytes[3] & 0xFF;
    }

    private long plen()
    {
        return u32(4);
    }

    private long u32(final int at)
    {
        return header.get(LE_INT, at) & 0xFFFF_FFFFL;
    }
}
