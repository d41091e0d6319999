package io.xts.proxy.nvme;

import io.xts.nvme.Crc32c;
import io.xts.nvme.NvmeTcp;
import io.xts.nvme.PduError;
import io.xts.nvme.PduHeader;
import io.xts.nvme.PduParser;
import io.xts.nvme.PduRules;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static io.xts.nvme.NvmeTcp.CH_LENGTH;
import static io.xts.nvme.NvmeTcp.DIGEST_LENGTH;
import static io.xts.nvme.NvmeTcp.HLEN_CAPSULE_CMD;

/**
 * Transmit digest offload for one offloaded socket: follows the host-to-controller NVMe/TCP stream the app sends as
 * DATA (CapsuleCmd, H2CData, H2CTermReq, with HDGSTF/DDGSTF set as negotiated and four zero bytes where each digest
 * goes), and as each DATA body is handed over, before it is written to TCP, gathered or kept pending, computes the
 * CRC32C of each header and of each PDU's DATA and writes the values over the placeholders, in place in the memory the
 * body arrived in. The framing is followed across body boundaries: a header, its digest, PAD, DATA and its digest may
 * each be cut anywhere, the placeholder bytes included (the value is known by then, since a digest follows what it
 * covers).
 * <p>
 * Each header is checked as the controller would, by the {@link PduRules} of a controller whose initialization is over
 * (so a broken app fails here, with a text naming the field, rather than at the controller): type H2CTermReq,
 * CapsuleCmd or H2CData only; FLAGS, HLEN, PDO and PLEN as negotiated (CPDA, digests), H2CData DATAL equal to the data
 * length and at most MAXH2CDATA, in-capsule data at most the configured limit. A failure is reported once
 * ({@link #errorText()}) and the writer refuses everything after it; the socket must end.
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

    private final PduRules rules;
    private final MemorySegment headerBuffer = MemorySegment.ofArray(new byte[HLEN_CAPSULE_CMD]);
    private final PduHeader header = new PduHeader().wrap(headerBuffer, 0);
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
    private PduError rule = PduError.NONE;
    private String error;

    /**
     * @param queue        the queue as the app's ULP_PUSH describes it: digests, CPDA, MAXH2CDATA, and the
     *                     host-to-controller stream offset the app hands over at (a PDU boundary).
     * @param maxInCapsule most in-capsule data bytes a CapsuleCmd may carry.
     */
    H2CDigestWriter(final PushedQueue queue, final long maxInCapsule)
    {
        this.rules = new PduRules(PduParser.Side.CONTROLLER).digests(queue.headerDigest(), queue.dataDigest())
            .receivePda(queue.cpda()).maxDataLength(maxInCapsule, queue.maxH2cData());
        this.position = queue.h2cSent();
        this.pduStart = queue.h2cSent();
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
                    MemorySegment.copy(memory, at, headerBuffer, have, n);
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

    /** @return the rule the app's stream broke, as {@link PduParser} would report it, or {@link PduError#NONE}. */
    PduError error()
    {
        return rule;
    }

    private boolean headerStep()
    {
        if (CH_LENGTH == need)
        {
            // The app's initialization was over before it pushed the ULP: an ICReq is out of sequence.
            final PduError broken = rules.checkCommonHeader(header, true);
            if (PduError.NONE != broken)
            {
                return fail(broken);
            }
            need = header.hlen();
            return true;
        }
        // The whole header is in: check what needs the PSH, then compute its digest.
        final PduError broken = rules.checkDataLength(header);
        if (PduError.NONE != broken)
        {
            return fail(broken);
        }
        have = 0;
        if (header.hasHeaderDigest())
        {
            digest = headerCrc.reset().update(headerBuffer, 0, need).value();
            state = HDGST;
        }
        else
        {
            afterHeaderDigest();
        }
        return true;
    }

    private void afterHeaderDigest()
    {
        final int headerEnd = header.headerLengthWithDigest();
        if (header.plen() == headerEnd)
        {
            nextPdu();
            return;
        }
        // TermReq data starts right after its 24 bytes (PDO is reserved there); other PDUs' at PDO.
        final long dataStart = header.dataOffset();
        dataLeft = header.dataLength();
        pduDataDigest = header.hasDataDigest();
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

    private boolean fail(final PduError why)
    {
        state = FAILED;
        rule = why;
        final int type = header.type();
        error = "app's " + NvmeTcp.typeName(type) + " PDU at host-to-controller stream offset " + pduStart + ": " +
            rules.describe(why, type, rules.value(), rules.expected(), true);
        return false;
    }
}
