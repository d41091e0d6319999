package io.xts.nvme;

import static io.xts.nvme.NvmeTcp.CH_LENGTH;
import static io.xts.nvme.NvmeTcp.DIGEST_LENGTH;
import static io.xts.nvme.NvmeTcp.FLAG_DDGSTF;
import static io.xts.nvme.NvmeTcp.FLAG_HDGSTF;
import static io.xts.nvme.NvmeTcp.FLAG_LAST_PDU;
import static io.xts.nvme.NvmeTcp.FLAG_SUCCESS;
import static io.xts.nvme.NvmeTcp.HLEN_IC;
import static io.xts.nvme.NvmeTcp.LE_INT;
import static io.xts.nvme.NvmeTcp.TERM_REQ_MAX_PLEN;
import static io.xts.nvme.NvmeTcp.TYPE_C2H_DATA;
import static io.xts.nvme.NvmeTcp.TYPE_C2H_TERM_REQ;
import static io.xts.nvme.NvmeTcp.TYPE_CAPSULE_CMD;
import static io.xts.nvme.NvmeTcp.TYPE_CAPSULE_RESP;
import static io.xts.nvme.NvmeTcp.TYPE_H2C_DATA;
import static io.xts.nvme.NvmeTcp.TYPE_H2C_TERM_REQ;
import static io.xts.nvme.NvmeTcp.TYPE_IC_REQ;
import static io.xts.nvme.NvmeTcp.TYPE_IC_RESP;
import static io.xts.nvme.NvmeTcp.TYPE_R2T;

/**
 * The rules an NVMe/TCP PDU header must follow, written once for every receiver that checks headers: the parser of
 * the host, target and proxy ({@link PduParser}), and the proxy's transmit digest writer and resync search. One
 * instance holds what a connection negotiated (the receiving side, digests, the receiver's data alignment, the data
 * limits) and checks headers against it, reporting the first rule broken as a {@link PduError}, with the offending
 * value and what was expected in {@link #value()} and {@link #expected()} and the text in {@link #describe}.
 * <p>
 * Rules of the common header ({@link #checkCommonHeader}), in header order so that the first error is the
 * lowest-offset field: the type is defined, travels towards the receiving side, and (unless disabled) ICReq/ICResp
 * comes first and only once (TermReq at any time); FLAGS has only the type's bits, HDGSTF equals the negotiated header
 * digest for the types that carry one, DDGSTF the negotiated data digest for a PDU that carries data (a CapsuleCmd
 * only when PLEN says it does), SUCCESS comes with LAST_PDU; HLEN is the type's fixed value; PDO is 0 where reserved
 * (no data, TermReq), else exactly the offset the receiver's alignment gives after HLEN and HDGST; PLEN covers the
 * header and its digest, is the fixed length of ICReq/ICResp (128) and of CapsuleResp/R2T (24 + HDGST), for a TermReq
 * at most 152, and for a PDU with data covers PDO, one data byte and DDGST and announces no more data than the limit.
 * Rules of the whole header: HDGST matches ({@link #checkHeaderDigest}) and DATAL of H2CData/C2HData equals the data
 * length PLEN, PDO and DDGST give ({@link #checkDataLength}).
 * <p>
 * Plausibility ({@link #plausibleDataLength}, {@link #plausibleFields}) is stricter than the rules: a header the
 * specification allows but no sender writes (reserved PSH bytes set, DATAO/R2TO or DATAL/R2TL not whole dwords, no
 * data, a C2HTermReq's FES undefined). Only a search for a header in the middle of a stream uses it, to tell headers
 * from data; a receiver in sync must not, as none of it is a transport error.
 * <p>
 * Nothing is allocated by the checks (the text of {@link #describe} excepted). Not thread safe: the last failure's
 * values are kept in the instance.
 */
public final class PduRules
{
    private final PduParser.Side side;
    private final C2HDataPdu c2hData = new C2HDataPdu();
    private final H2CDataPdu h2cData = new H2CDataPdu();
    private final R2TPdu r2t = new R2TPdu();
    private final TermReqPdu termReq = new TermReqPdu();
    private boolean headerDigest;
    private boolean dataDigest;
    private int receivePda;
    private long maxInCapsuleData;
    private long maxDataPduData;
    private boolean expectInitialization = true;
    private long value;
    private long expected;

    /**
     * Rules for one receiving side before negotiation: digests off, alignment code 0, no data accepted until
     * {@link #maxDataLength} is set, ICReq/ICResp expected first.
     *
     * @param side the side that receives the headers checked.
     */
    public PduRules(final PduParser.Side side)
    {
        this.side = side;
    }

    /** @return the side that receives the headers checked. */
    public PduParser.Side side()
    {
        return side;
    }

    /**
     * Set the negotiated digests.
     *
     * @param header whether header digests are on.
     * @param data   whether data digests are on.
     * @return this.
     */
    public PduRules digests(final boolean header, final boolean data)
    {
        this.headerDigest = header;
        this.dataDigest = data;
        return this;
    }

    /** @return whether header digests are on. */
    public boolean headerDigest()
    {
        return headerDigest;
    }

    /** @return whether data digests are on. */
    public boolean dataDigest()
    {
        return dataDigest;
    }

    /**
     * Set the alignment code the receiving side asked for its data: HPDA (sent in ICReq) for a host, CPDA (sent in
     * ICResp) for a controller.
     *
     * @param pda 0's based dwords, 0..31.
     * @return this.
     * @throws IllegalArgumentException outside 0..31.
     */
    public PduRules receivePda(final int pda)
    {
        NvmeTcp.alignment(pda);
        this.receivePda = pda;
        return this;
    }

    /** @return the receiving side's alignment code. */
    public int receivePda()
    {
        return receivePda;
    }

    /**
     * Set one limit for the DATA of every PDU that carries data.
     *
     * @param maxDataLength most DATA bytes accepted in one PDU.
     * @return this.
     * @throws IllegalArgumentException when negative.
     */
    public PduRules maxDataLength(final long maxDataLength)
    {
        return maxDataLength(maxDataLength, maxDataLength);
    }

    /**
     * Set the data limits of a controller, which differ by type.
     *
     * @param inCapsule most in-capsule DATA bytes a CapsuleCmd may carry.
     * @param dataPdu   most DATA bytes an H2CData or C2HData may carry (MAXH2CDATA for H2CData).
     * @return this.
     * @throws IllegalArgumentException when one is negative.
     */
    public PduRules maxDataLength(final long inCapsule, final long dataPdu)
    {
        if (inCapsule < 0 || dataPdu < 0)
        {
            throw new IllegalArgumentException("maxDataLength " + Math.min(inCapsule, dataPdu));
        }
        this.maxInCapsuleData = inCapsule;
        this.maxDataPduData = dataPdu;
        return this;
    }

    /**
     * @param type a PDU type that carries data.
     * @return most DATA bytes one PDU of that type may carry.
     */
    public long dataLimit(final int type)
    {
        return TYPE_CAPSULE_CMD == type ? maxInCapsuleData : maxDataPduData;
    }

    /**
     * @param expect whether ICReq (controller) or ICResp (host) must come first and only once (true by default; false
     *               accepts them at any time, for a stream joined after initialization).
     * @return this.
     */
    public PduRules expectInitialization(final boolean expect)
    {
        this.expectInitialization = expect;
        return this;
    }

    /** @return whether the order of initialization is checked. */
    public boolean expectInitialization()
    {
        return expectInitialization;
    }

    /**
     * Check the common header (8 bytes).
     *
     * @param header      the header, wrapped over at least its common header.
     * @param initialized whether the connection's ICReq/ICResp was received already.
     * @return {@link PduError#NONE}, or the first rule broken ({@link #value()}, {@link #expected()}).
     */
    public PduError checkCommonHeader(final PduHeader header, final boolean initialized)
    {
        return checkCommonHeader(header, initialized, CH_LENGTH);
    }

    /**
     * Check what the first {@code length} bytes of a common header decide: the rules of the type (byte 0) from one
     * byte on, of FLAGS from two, of HLEN from three, of PDO from four, of PLEN from eight. A rule that needs a field
     * not yet there is left out (a CapsuleCmd's DDGSTF and PDO need PLEN, as it tells whether data follows). With 8
     * bytes this is {@link #checkCommonHeader(PduHeader, boolean)}.
     *
     * @param header      the header, wrapped over at least {@code length} bytes.
     * @param initialized whether the connection's ICReq/ICResp was received already.
     * @param length      bytes of the header present, at least 1.
     * @return {@link PduError#NONE}, or the first rule broken ({@link #value()}, {@link #expected()}).
     */
    public PduError checkCommonHeader(final PduHeader header, final boolean initialized, final int length)
    {
        final int type = header.type();
        if (!NvmeTcp.isKnownType(type))
        {
            return fail(PduError.UNKNOWN_TYPE, type, 0);
        }
        if (NvmeTcp.isControllerToHost(type) != (PduParser.Side.HOST == side))
        {
            return fail(PduError.WRONG_DIRECTION, type, 0);
        }
        final boolean ic = TYPE_IC_REQ == type || TYPE_IC_RESP == type;
        final boolean term = TYPE_H2C_TERM_REQ == type || TYPE_C2H_TERM_REQ == type;
        if (expectInitialization && !term && ic == initialized)
        {
            return fail(PduError.UNEXPECTED_TYPE, type, 0);
        }
        if (length <= PduFlyweight.FLAGS_OFFSET)
        {
            return PduError.NONE;
        }

        final boolean plenKnown = length >= CH_LENGTH;
        final int flags = header.flags();
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
        final int headerEnd = plenKnown ? header.hlen() + (hdgst ? DIGEST_LENGTH : 0) : 0;
        final long plen = plenKnown ? header.plen() : 0;
        // Whether DATA follows: always for H2CData and C2HData, as PLEN says for a CapsuleCmd (unknown before PLEN).
        final boolean dataKnown = TYPE_CAPSULE_CMD != type || plenKnown;
        final boolean carriesData = TYPE_H2C_DATA == type || TYPE_C2H_DATA == type ||
            (TYPE_CAPSULE_CMD == type && plenKnown && plen > headerEnd);
        if (NvmeTcp.takesDataDigest(type) && dataKnown)
        {
            final boolean ddgst = dataDigest && carriesData;
            if ((0 != (flags & FLAG_DDGSTF)) != ddgst)
            {
                return fail(PduError.DATA_DIGEST_FLAG, (flags & FLAG_DDGSTF) >>> 1, ddgst ? 1 : 0);
            }
        }
        if (0 != (flags & FLAG_SUCCESS) && 0 == (flags & FLAG_LAST_PDU))
        {
            return fail(PduError.SUCCESS_WITHOUT_LAST, flags, 0);
        }
        if (length <= PduFlyweight.HLEN_OFFSET)
        {
            return PduError.NONE;
        }

        final int hlen = header.hlen();
        final int expectedHlen = NvmeTcp.headerLength(type);
        if (hlen != expectedHlen)
        {
            return fail(PduError.BAD_HLEN, hlen, expectedHlen);
        }
        if (length <= PduFlyweight.PDO_OFFSET)
        {
            return PduError.NONE;
        }

        final int pdo = header.pdo();
        if (dataKnown)
        {
            final int expectedPdo = carriesData ? NvmeTcp.dataOffset(hlen, hdgst, receivePda) : 0;
            if (pdo != expectedPdo)
            {
                return fail(PduError.BAD_PDO, pdo, expectedPdo);
            }
        }
        if (!plenKnown)
        {
            return PduError.NONE;
        }

        if (plen < headerEnd)
        {
            return fail(PduError.PLEN_TOO_SHORT, plen, headerEnd);
        }
        switch (type)
        {
            case TYPE_IC_REQ, TYPE_IC_RESP ->
            {
                if (HLEN_IC != plen)
                {
                    return fail(PduError.PLEN_MISMATCH, plen, HLEN_IC);
                }
            }
            case TYPE_CAPSULE_RESP, TYPE_R2T ->
            {
                if (headerEnd != plen)
                {
                    return fail(PduError.PLEN_MISMATCH, plen, headerEnd);
                }
            }
            case TYPE_H2C_TERM_REQ, TYPE_C2H_TERM_REQ ->
            {
                if (plen > TERM_REQ_MAX_PLEN)
                {
                    return fail(PduError.PLEN_BEYOND_LIMIT, plen, TERM_REQ_MAX_PLEN);
                }
            }
            default ->
            {
                if (carriesData)
                {
                    final int ddgst = 0 != (flags & FLAG_DDGSTF) ? DIGEST_LENGTH : 0;
                    if (plen < (long)pdo + 1 + ddgst)
                    {
                        return fail(PduError.PLEN_TOO_SHORT, plen, pdo + 1 + ddgst);
                    }
                    final long limit = dataLimit(type);
                    if (plen - pdo - ddgst > limit)
                    {
                        return fail(PduError.PLEN_BEYOND_LIMIT, plen, pdo + limit + ddgst);
                    }
                }
            }
        }
        return PduError.NONE;
    }

    /**
     * Check HDGST, when HDGSTF is set; the common header must have passed {@link #checkCommonHeader}.
     *
     * @param header the header, wrapped over at least HLEN + 4 bytes.
     * @param crc    a digest to compute with.
     * @return {@link PduError#NONE}, or {@link PduError#HEADER_DIGEST} with the digest received as {@link #value()}
     *         and the one computed as {@link #expected()}.
     */
    public PduError checkHeaderDigest(final PduHeader header, final Crc32c crc)
    {
        if (header.hasHeaderDigest())
        {
            final int hlen = header.hlen();
            final int computed = crc.reset().update(header.segment(), header.offset(), hlen).value();
            final int received = header.segment().get(LE_INT, header.offset() + hlen);
            if (computed != received)
            {
                return fail(PduError.HEADER_DIGEST, received & 0xFFFF_FFFFL, computed & 0xFFFF_FFFFL);
            }
        }
        return PduError.NONE;
    }

    /**
     * Check DATAL of an H2CData or C2HData (other types pass): it must equal the data length PLEN, PDO and DDGST give.
     * The common header must have passed {@link #checkCommonHeader}.
     *
     * @param header the header, wrapped over at least its PSH (HLEN bytes).
     * @return {@link PduError#NONE}, or {@link PduError#DATAL_MISMATCH}.
     */
    public PduError checkDataLength(final PduHeader header)
    {
        final int type = header.type();
        final long datal;
        if (TYPE_H2C_DATA == type)
        {
            datal = h2cData.wrap(header.segment(), header.offset()).datal();
        }
        else if (TYPE_C2H_DATA == type)
        {
            datal = c2hData.wrap(header.segment(), header.offset()).datal();
        }
        else
        {
            return PduError.NONE;
        }
        final long derived = header.dataLength();
        if (datal != derived)
        {
            return fail(PduError.DATAL_MISMATCH, datal, derived);
        }
        return PduError.NONE;
    }

    /**
     * Plausibility, from the common header: a C2HData or H2CData carries at least one dword of data. The common
     * header must have passed {@link #checkCommonHeader}.
     *
     * @param header the header, wrapped over at least its common header.
     * @return whether the header is plausible so far.
     */
    public boolean plausibleDataLength(final PduHeader header)
    {
        final int type = header.type();
        if (TYPE_C2H_DATA != type && TYPE_H2C_DATA != type)
        {
            return true;
        }
        return header.plen() >= header.pdo() + 4L + (header.hasDataDigest() ? DIGEST_LENGTH : 0);
    }

    /**
     * Plausibility, from the PSH: C2HData has TTAG and the reserved bytes 0, DATAO a dword multiple and DATAL a
     * non-zero dword multiple; R2T has the reserved bytes 0, R2TO a dword multiple and R2TL a non-zero dword multiple;
     * a C2HTermReq has a defined FES and the reserved bytes 0. Other types pass. The header must have passed
     * {@link #checkCommonHeader}.
     *
     * @param header the header, wrapped over at least its PSH (HLEN bytes).
     * @return whether the header is plausible.
     */
    public boolean plausibleFields(final PduHeader header)
    {
        switch (header.type())
        {
            case TYPE_C2H_DATA ->
            {
                final C2HDataPdu pdu = c2hData.wrap(header.segment(), header.offset());
                final long datal = pdu.datal();
                return 0 == pdu.u16(DataPduFlyweight.TTAG_OFFSET) && 0 == pdu.u32(DataPduFlyweight.RESERVED_OFFSET) &&
                    0 == (pdu.datao() & 3) && 0 != datal && 0 == (datal & 3);
            }
            case TYPE_R2T ->
            {
                final R2TPdu pdu = r2t.wrap(header.segment(), header.offset());
                final long r2tl = pdu.r2tl();
                return 0 == pdu.u32(DataPduFlyweight.RESERVED_OFFSET) && 0 == (pdu.r2to() & 3) && 0 != r2tl &&
                    0 == (r2tl & 3);
            }
            case TYPE_C2H_TERM_REQ ->
            {
                final TermReqPdu pdu = termReq.wrap(header.segment(), header.offset());
                final int fes = pdu.fes();
                return fes >= NvmeTcp.FES_INVALID_HEADER_FIELD && fes <= NvmeTcp.FES_UNSUPPORTED_PARAMETER &&
                    0 == pdu.u16(TermReqPdu.RESERVED_OFFSET) && 0 == pdu.i64(TermReqPdu.RESERVED_OFFSET + 2);
            }
            default ->
            {
                // CapsuleResp: the CQE has no field that must hold a fixed value.
                return true;
            }
        }
    }

    /** @return the offending field's value in the last failure. */
    public long value()
    {
        return value;
    }

    /** @return what the offending field should have held in the last failure. */
    public long expected()
    {
        return expected;
    }

    /**
     * Word a failure (allocates: errors end the connection, so this is off the data path), e.g. "HLEN 20 for
     * CapsuleResp, expected 24".
     *
     * @param error       the rule broken.
     * @param type        the PDU's type.
     * @param value       the offending value.
     * @param expected    what was expected.
     * @param initialized whether the connection's ICReq/ICResp was received already.
     * @return the text.
     */
    public String describe(
        final PduError error, final int type, final long value, final long expected, final boolean initialized)
    {
        final boolean host = PduParser.Side.HOST == side;
        final String context = PduError.WRONG_DIRECTION == error ? (host ? "host" : "controller") :
            (initialized ? "initialization is over" :
                "expected " + NvmeTcp.typeName(host ? TYPE_IC_RESP : TYPE_IC_REQ) + " first");
        return error.describe(NvmeTcp.typeName(type), value, expected, context);
    }

    private PduError fail(final PduError error, final long value, final long expected)
    {
        this.value = value;
        this.expected = expected;
        return error;
    }
}
