package io.xts.nvme;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

import static io.xts.nvme.NvmeTcp.CH_LENGTH;
import static io.xts.nvme.NvmeTcp.DIGEST_LENGTH;
import static io.xts.nvme.NvmeTcp.LE_INT;
import static io.xts.nvme.NvmeTcp.MAX_HLEN;
import static io.xts.nvme.NvmeTcp.TYPE_H2C_DATA;
import static io.xts.nvme.NvmeTcp.TYPE_IC_REQ;
import static io.xts.nvme.NvmeTcp.TYPE_IC_RESP;

/**
 * Delineates the NVMe/TCP PDUs of one direction of a connection from its TCP byte stream, fed in chunks of any size
 * and split (down to one byte at a time). PDUs are not aligned to segments, so the parser reassembles each header
 * (CH + PSH + HDGST, at most 132 bytes) in a fixed internal buffer, checks it, and then hands the DATA over in the
 * pieces in which it arrives, straight from the caller's memory: DATA is never buffered, however large the PDU, so
 * memory stays bounded and a proxy can place it directly.
 * <p>
 * Each header is checked against the {@link PduRules} of the configured {@link Side}, in header order so that the
 * first error reported is the lowest-offset field: the common header once its 8 bytes are in, then HDGST and DATAL
 * once the whole header is. DDGST is computed incrementally over the pieces and compared at the end. Any failure is
 * reported once to
 * {@link PduHandler#onMalformed} and the parser then refuses all input: NVMe/TCP makes these fatal, the stream
 * cannot be resynchronised (PLEN is no longer trustworthy), and the connection must end. A data digest mismatch is
 * not a transport error (the command fails instead), so by default it is only reported in
 * {@link PduHandler#onPduEnd}; {@link #dataDigestErrorFatal} makes it fatal as the Linux target does.
 * <p>
 * Digests and the receive alignment are negotiated by ICReq/ICResp, which never carry digests: set them with
 * {@link #digests} and {@link #receivePda} from {@link PduHandler#onPduEnd} of the IC PDU (or before the first PDU
 * after it); the next header is checked with the new settings. Nothing is allocated per PDU or per call, provided the
 * caller passes the same {@link MemorySegment} instance for its buffer (see {@link Crc32c}). Not thread safe.
 * <p>
 * A caller that knows where a PDU's DATA belongs (a host, once the header named the command) may read it from the
 * socket straight into that place and account for it with {@link #dataPlaced} instead of feeding it, so that it is
 * copied once, by the kernel; the data digest is then computed over the placed bytes.
 */
public final class PduParser
{
    /** The side whose incoming stream a parser reads. */
    public enum Side
    {
        /** A host: reads controller-to-host PDUs (ICResp, C2HTermReq, CapsuleResp, C2HData, R2T). */
        HOST,
        /** A controller: reads host-to-controller PDUs (ICReq, H2CTermReq, CapsuleCmd, H2CData). */
        CONTROLLER
    }

    private static final int STATE_HEADER = 0;
    private static final int STATE_PAD = 1;
    private static final int STATE_DATA = 2;
    private static final int STATE_DDGST = 3;
    private static final int STATE_FAILED = 4;
    // The received DDGST is gathered behind the longest header and its HDGST.
    private static final int DDGST_AT = MAX_HLEN + DIGEST_LENGTH;
    private static final String NO_ERROR = "no error";

    private final Side side;
    private final PduRules rules;
    private final PduHandler handler;
    private final MemorySegment buffer = Arena.ofAuto().allocate(DDGST_AT + DIGEST_LENGTH, 8);
    private final Crc32c headerCrc = new Crc32c();
    private final Crc32c dataCrc = new Crc32c();
    private final PduHeader header = new PduHeader().wrap(buffer, 0);
    private final ICReqPdu icReq = new ICReqPdu().wrap(buffer, 0);
    private final ICRespPdu icResp = new ICRespPdu().wrap(buffer, 0);
    private final TermReqPdu termReq = new TermReqPdu().wrap(buffer, 0);
    private final CapsuleCmdPdu capsuleCmd = new CapsuleCmdPdu().wrap(buffer, 0);
    private final CapsuleRespPdu capsuleResp = new CapsuleRespPdu().wrap(buffer, 0);
    private final H2CDataPdu h2cData = new H2CDataPdu().wrap(buffer, 0);
    private final C2HDataPdu c2hData = new C2HDataPdu().wrap(buffer, 0);
    private final R2TPdu r2t = new R2TPdu().wrap(buffer, 0);

    private boolean dataDigestErrorFatal;

    private int state;
    private boolean initialized;
    private int have;
    private int headerNeed;
    private long skip;
    private long dataLength;
    private long dataPosition;
    private boolean checkDataDigest;

    private long position;
    private long pduStart;
    private long pdus;
    private long dataDigestErrors;
    private long malformed;
    private PduError error = PduError.NONE;
    private int errorType;
    private long errorValue;
    private long errorExpected;
    private String errorText = NO_ERROR;

    /**
     * Create a parser at the start of a connection: digests off, alignment code 0, ICReq/ICResp expected first.
     *
     * @param side          the side whose incoming stream this is.
     * @param maxDataLength most DATA bytes accepted in one PDU (MAXH2CDATA or the in-capsule limit for a controller,
     *                      the largest transfer for a host).
     * @param handler       what to report to.
     */
    public PduParser(final Side side, final long maxDataLength, final PduHandler handler)
    {
        this.side = side;
        this.rules = new PduRules(side);
        this.handler = handler;
        maxDataLength(maxDataLength);
        reset();
    }

    /**
     * Start over for a new connection: state, counters and error cleared; settings kept, except that digests and
     * alignment go back to their pre-negotiation values (off, 0).
     *
     * @return this.
     */
    public PduParser reset()
    {
        state = STATE_HEADER;
        have = 0;
        headerNeed = CH_LENGTH;
        initialized = false;
        rules.digests(false, false).receivePda(0);
        position = 0;
        pduStart = 0;
        pdus = 0;
        dataDigestErrors = 0;
        malformed = 0;
        error = PduError.NONE;
        errorText = NO_ERROR;
        return this;
    }

    /**
     * Set the negotiated digests; they apply from the next PDU header.
     *
     * @param header whether header digests are on.
     * @param data   whether data digests are on.
     * @return this.
     */
    public PduParser digests(final boolean header, final boolean data)
    {
        rules.digests(header, data);
        return this;
    }

    /**
     * Set the alignment code this side asked for its received data: HPDA (sent in ICReq) for a host, CPDA (sent in
     * ICResp) for a controller.
     *
     * @param pda 0's based dwords, 0..31.
     * @return this.
     */
    public PduParser receivePda(final int pda)
    {
        rules.receivePda(pda);
        return this;
    }

    /**
     * @param maxDataLength most DATA bytes accepted in one PDU.
     * @return this.
     */
    public PduParser maxDataLength(final long maxDataLength)
    {
        rules.maxDataLength(maxDataLength);
        return this;
    }

    /**
     * @param expect whether the first PDU must be ICReq (controller) or ICResp (host), and no other may be (true by
     *               default; false for a stream joined after initialization, e.g. a test).
     * @return this.
     */
    public PduParser expectInitialization(final boolean expect)
    {
        rules.expectInitialization(expect);
        return this;
    }

    /**
     * Join a stream whose initialization is over (a proxy taking over the framing after ICReq/ICResp): from now on,
     * ICReq and ICResp are refused as out of sequence and every other type is accepted, as after an IC PDU was
     * consumed. Cleared by {@link #reset}.
     *
     * @return this.
     */
    public PduParser initializationOver()
    {
        initialized = true;
        return this;
    }

    /**
     * @param fatal whether a data digest mismatch ends the stream ({@link PduError#DATA_DIGEST}) after
     *              {@link PduHandler#onPduEnd} reported it (false by default: the specification makes it non-fatal).
     * @return this.
     */
    public PduParser dataDigestErrorFatal(final boolean fatal)
    {
        this.dataDigestErrorFatal = fatal;
        return this;
    }

    /**
     * Consume a chunk of the stream.
     *
     * @param memory memory holding the chunk.
     * @param offset its first byte.
     * @param length its bytes.
     * @return bytes consumed: {@code length}, or fewer when the stream turned out malformed (up to and including the
     *         byte that completed the bad header or digest); 0 once failed.
     */
    public long feed(final MemorySegment memory, final long offset, final long length)
    {
        long at = offset;
        final long end = offset + length;
        while (at < end && STATE_FAILED != state)
        {
            switch (state)
            {
                case STATE_HEADER -> at = header(memory, at, end);
                case STATE_PAD ->
                {
                    final long n = Math.min(skip, end - at);
                    at += n;
                    position += n;
                    skip -= n;
                    if (0 == skip)
                    {
                        afterPad();
                    }
                }
                case STATE_DATA -> at = data(memory, at, end);
                default -> at = dataDigest(memory, at, end);
            }
        }
        return at - offset;
    }

    private long header(final MemorySegment memory, final long at, final long end)
    {
        final int n = (int)Math.min(headerNeed - have, end - at);
        MemorySegment.copy(memory, at, buffer, have, n);
        have += n;
        position += n;
        if (have == headerNeed)
        {
            if (CH_LENGTH == headerNeed)
            {
                if (checkCommonHeader())
                {
                    headerNeed = header.hlen() + (header.hasHeaderDigest() ? DIGEST_LENGTH : 0);
                }
            }
            else if (checkWholeHeader())
            {
                startPdu();
            }
        }
        return at + n;
    }

    private long data(final MemorySegment memory, final long at, final long end)
    {
        final int n = (int)Math.min(Math.min(dataLength - dataPosition, end - at), Integer.MAX_VALUE);
        if (checkDataDigest)
        {
            dataCrc.update(memory, at, n);
        }
        handler.onData(header, dataPosition, memory, at, n);
        dataPosition += n;
        position += n;
        if (dataPosition == dataLength)
        {
            if (checkDataDigest)
            {
                have = 0;
                state = STATE_DDGST;
            }
            else
            {
                endPdu(true);
            }
        }
        return at + n;
    }

    /**
     * Consume DATA of the current PDU that the caller read straight into its destination instead of feeding it: the
     * bytes of {@code placed} from its position to its limit (left as they are) are the next DATA bytes, at most
     * {@link #bytesToStepEnd()} of them, while {@link #readingData()}. They count towards the data digest and the
     * stream position exactly as fed bytes do; {@link PduHandler#onData} is not called for them (the caller has them
     * where they belong). The PDU ends as with {@link #feed}: at once without a data digest, else after its DDGST is
     * fed.
     *
     * @param placed the bytes, in place.
     * @throws IllegalStateException when not reading DATA, or given more than the rest of it.
     */
    public void dataPlaced(final ByteBuffer placed)
    {
        final int n = placed.remaining();
        if (STATE_DATA != state || n > dataLength - dataPosition)
        {
            throw new IllegalStateException("dataPlaced(" + n + " bytes) while " + (STATE_DATA == state ?
                (dataLength - dataPosition) + " bytes of DATA are left" : "not reading DATA"));
        }
        if (checkDataDigest)
        {
            dataCrc.update(placed);
        }
        dataPosition += n;
        position += n;
        if (dataPosition == dataLength)
        {
            if (checkDataDigest)
            {
                have = 0;
                state = STATE_DDGST;
            }
            else
            {
                endPdu(true);
            }
        }
    }

    private long dataDigest(final MemorySegment memory, final long at, final long end)
    {
        final int n = (int)Math.min(DIGEST_LENGTH - have, end - at);
        MemorySegment.copy(memory, at, buffer, DDGST_AT + have, n);
        have += n;
        position += n;
        if (DIGEST_LENGTH == have)
        {
            endPdu(buffer.get(LE_INT, DDGST_AT) == dataCrc.value());
        }
        return at + n;
    }

    private boolean checkCommonHeader()
    {
        final PduError broken = rules.checkCommonHeader(header, initialized);
        return PduError.NONE == broken || fail(broken, rules.value(), rules.expected());
    }

    private boolean checkWholeHeader()
    {
        PduError broken = rules.checkHeaderDigest(header, headerCrc);
        if (PduError.NONE == broken)
        {
            broken = rules.checkDataLength(header);
        }
        return PduError.NONE == broken || fail(broken, rules.value(), rules.expected());
    }

    private void startPdu()
    {
        final int headerEnd = header.headerLengthWithDigest();
        dataLength = header.dataLength();
        dataPosition = 0;
        skip = dataLength > 0 ? header.dataOffset() - headerEnd : 0;
        checkDataDigest = header.hasDataDigest();
        if (checkDataDigest)
        {
            dataCrc.reset();
        }
        handler.onHeader(header);
        if (STATE_FAILED == state)
        {
            return;
        }
        if (skip > 0)
        {
            state = STATE_PAD;
        }
        else
        {
            afterPad();
        }
    }

    private void afterPad()
    {
        if (dataLength > 0)
        {
            state = STATE_DATA;
        }
        else
        {
            endPdu(true);
        }
    }

    private void endPdu(final boolean dataDigestOk)
    {
        final int type = header.type();
        if (TYPE_IC_REQ == type || TYPE_IC_RESP == type)
        {
            initialized = true;
        }
        pdus++;
        state = STATE_HEADER;
        have = 0;
        headerNeed = CH_LENGTH;
        pduStart = position;
        if (!dataDigestOk)
        {
            dataDigestErrors++;
        }
        handler.onPduEnd(header, dataDigestOk);
        if (!dataDigestOk && dataDigestErrorFatal)
        {
            fail(PduError.DATA_DIGEST, buffer.get(LE_INT, DDGST_AT) & 0xFFFF_FFFFL, dataCrc.value() & 0xFFFF_FFFFL);
        }
    }

    private boolean fail(final PduError error, final long value, final long expected)
    {
        this.error = error;
        this.errorType = header.type();
        this.errorValue = value;
        this.errorExpected = expected;
        malformed++;
        state = STATE_FAILED;
        errorText = rules.describe(error, errorType, value, expected, initialized);
        handler.onMalformed(error, errorText);
        return false;
    }

    // ---- state and results ----

    /** @return whether the parser has refused the stream. */
    public boolean isFailed()
    {
        return STATE_FAILED == state;
    }

    /** @return the error that stopped the stream, or {@link PduError#NONE}. */
    public PduError error()
    {
        return error;
    }

    /** @return the error worded with values, e.g. "HLEN 20 for CapsuleResp, expected 24". */
    public String errorText()
    {
        return errorText;
    }

    /** @return the value of the offending field. */
    public long errorValue()
    {
        return errorValue;
    }

    /** @return what the offending field should have held. */
    public long errorExpected()
    {
        return errorExpected;
    }

    /**
     * @return the FES for the TermReq to send: the error's, except that DATA beyond the limit in an H2CData is Data
     *         Transfer Limit Exceeded (05h).
     */
    public int errorFes()
    {
        if (PduError.PLEN_BEYOND_LIMIT == error && TYPE_H2C_DATA == errorType)
        {
            return NvmeTcp.FES_DATA_LIMIT_EXCEEDED;
        }
        return error.fes();
    }

    /** @return the FEI for the TermReq to send: the field offset, or the received HDGST for a digest error. */
    public long errorFei()
    {
        return switch (error)
        {
            case HEADER_DIGEST -> errorValue;
            default -> NvmeTcp.FES_INVALID_HEADER_FIELD == errorFes() ? error.fieldOffset() : 0;
        };
    }

    /**
     * @return bytes the parser needs to finish what it is reading now: the rest of the common header (or, once that
     *         was checked, of the whole header with its HDGST), of PAD, of DATA or of DDGST; 0 once failed. A caller
     *         that must act before each report (claim room for it) feeds at most this many bytes at a time.
     */
    public long bytesToStepEnd()
    {
        return switch (state)
        {
            case STATE_HEADER -> headerNeed - have;
            case STATE_PAD -> skip;
            case STATE_DATA -> dataLength - dataPosition;
            case STATE_DDGST -> DIGEST_LENGTH - have;
            default -> 0;
        };
    }

    /** @return whether the next bytes fed are the current PDU's DATA (reported by {@link PduHandler#onData}). */
    public boolean readingData()
    {
        return STATE_DATA == state;
    }

    /** @return while {@link #readingData()}: bytes of the current PDU's DATA consumed so far. */
    public long dataPosition()
    {
        return dataPosition;
    }

    /** @return whether the next bytes fed belong to a PDU header (its common header, or the rest once checked). */
    public boolean readingHeader()
    {
        return STATE_HEADER == state;
    }

    /** @return whether the next bytes fed are the padding between a header and its DATA (PDO alignment). */
    public boolean readingPad()
    {
        return STATE_PAD == state;
    }

    /** @return whether the next bytes fed are the DDGST after a PDU's DATA. */
    public boolean readingDataDigest()
    {
        return STATE_DDGST == state;
    }

    /**
     * @return whether the next bytes fed complete a header whose common header was already checked: {@link #header()}
     *         has its type and HLEN, and {@link PduHandler#onHeader} comes once {@link #bytesToStepEnd()} more bytes
     *         arrived (unless the HDGST or DATAL check fails).
     */
    public boolean readingHeaderBody()
    {
        return STATE_HEADER == state && headerNeed > CH_LENGTH;
    }

    /** @return the memory holding the current (or offending) header: a TermReq carries it as DATA. */
    public MemorySegment headerBuffer()
    {
        return buffer;
    }

    /** @return bytes of the current header received so far (up to HLEN + HDGST). */
    public int headerBytes()
    {
        return STATE_HEADER == state || STATE_FAILED == state ? have : header.headerLengthWithDigest();
    }

    /** @return 1 once the stream was refused, else 0 (cleared by {@link #reset}). */
    public long malformedCount()
    {
        return malformed;
    }

    /** @return PDUs consumed completely. */
    public long pduCount()
    {
        return pdus;
    }

    /** @return PDUs whose data digest did not match. */
    public long dataDigestErrors()
    {
        return dataDigestErrors;
    }

    /** @return bytes of the stream consumed. */
    public long position()
    {
        return position;
    }

    /** @return stream offset of the current PDU's first byte. */
    public long pduStart()
    {
        return pduStart;
    }

    /** @return whether the ICReq/ICResp has been consumed. */
    public boolean isInitialized()
    {
        return initialized;
    }

    /** @return the current header through its common header. */
    public PduHeader header()
    {
        return header;
    }

    /** @return the current header as ICReq. */
    public ICReqPdu icReq()
    {
        return icReq;
    }

    /** @return the current header as ICResp. */
    public ICRespPdu icResp()
    {
        return icResp;
    }

    /** @return the current header as a TermReq. */
    public TermReqPdu termReq()
    {
        return termReq;
    }

    /** @return the current header as CapsuleCmd. */
    public CapsuleCmdPdu capsuleCmd()
    {
        return capsuleCmd;
    }

    /** @return the current header as CapsuleResp. */
    public CapsuleRespPdu capsuleResp()
    {
        return capsuleResp;
    }

    /** @return the current header as H2CData. */
    public H2CDataPdu h2cData()
    {
        return h2cData;
    }

    /** @return the current header as C2HData. */
    public C2HDataPdu c2hData()
    {
        return c2hData;
    }

    /** @return the current header as R2T. */
    public R2TPdu r2t()
    {
        return r2t;
    }

    /** @return whether header digests are expected. */
    public boolean headerDigest()
    {
        return rules.headerDigest();
    }

    /** @return whether data digests are expected. */
    public boolean dataDigest()
    {
        return rules.dataDigest();
    }

    /** @return the side configured. */
    public Side side()
    {
        return side;
    }
}
