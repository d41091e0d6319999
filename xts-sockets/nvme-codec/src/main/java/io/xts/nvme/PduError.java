package io.xts.nvme;

/**
 * Why {@link PduParser} refused a PDU, with the TermReq a receiver sends for it: the Fatal Error Status and, for
 * Invalid PDU Header Field, the byte offset of the field (FEI) — always the lowest-offset bad field, as the parser
 * checks fields in header order. {@link #describe} words the error with the field's value and what was expected, e.g.
 * "HLEN 20 for CapsuleResp, expected 24". Every error except {@link #DATA_DIGEST} is a fatal transport error: the
 * connection must end.
 */
public enum PduError
{
    /** No error. */
    NONE(0, 0, "no error"),

    /** PDU-Type is a reserved value. */
    UNKNOWN_TYPE(NvmeTcp.FES_INVALID_HEADER_FIELD, 0, "PDU-Type %2$02Xh is reserved"),

    /** PDU-Type travels the other way (bit 0 is the direction). */
    WRONG_DIRECTION(NvmeTcp.FES_INVALID_HEADER_FIELD, 0,
        "PDU-Type %2$02Xh (%1$s) travels the other way: not receivable by the %3$s"),

    /** ICReq/ICResp after the first PDU, or another PDU before it. */
    UNEXPECTED_TYPE(NvmeTcp.FES_SEQUENCE_ERROR, 0, "PDU-Type %2$02Xh (%1$s) out of sequence: %3$s"),

    /** FLAGS has bits the type does not define. */
    RESERVED_FLAGS(NvmeTcp.FES_INVALID_HEADER_FIELD, 1, "FLAGS %2$02Xh for %1$s, valid bits %3$02Xh"),

    /** HDGSTF differs from the negotiated header digest. */
    HEADER_DIGEST_FLAG(NvmeTcp.FES_INVALID_HEADER_FIELD, 1, "HDGSTF %2$d for %1$s, expected %3$d"),

    /** DDGSTF differs from the negotiated data digest (and presence of data). */
    DATA_DIGEST_FLAG(NvmeTcp.FES_INVALID_HEADER_FIELD, 1, "DDGSTF %2$d for %1$s, expected %3$d"),

    /** C2HData with SUCCESS but not LAST_PDU. */
    SUCCESS_WITHOUT_LAST(NvmeTcp.FES_INVALID_HEADER_FIELD, 1,
        "FLAGS %2$02Xh for %1$s: SUCCESS without LAST_PDU"),

    /** HLEN is not the fixed length of the type. */
    BAD_HLEN(NvmeTcp.FES_INVALID_HEADER_FIELD, 2, "HLEN %2$d for %1$s, expected %3$d"),

    /** PDO is not 0 where reserved, or not the aligned data offset. */
    BAD_PDO(NvmeTcp.FES_INVALID_HEADER_FIELD, 3, "PDO %2$d for %1$s, expected %3$d"),

    /** PLEN differs from the only length the type can have. */
    PLEN_MISMATCH(NvmeTcp.FES_INVALID_HEADER_FIELD, 4, "PLEN %2$d for %1$s, expected %3$d"),

    /** PLEN is shorter than the header, digests and at least one byte of the data it announces. */
    PLEN_TOO_SHORT(NvmeTcp.FES_INVALID_HEADER_FIELD, 4, "PLEN %2$d for %1$s, expected at least %3$d"),

    /** PLEN is beyond the configured limit (or a TermReq beyond 152). */
    PLEN_BEYOND_LIMIT(NvmeTcp.FES_INVALID_HEADER_FIELD, 4, "PLEN %2$d for %1$s, beyond the limit %3$d"),

    /** DATAL of H2CData/C2HData differs from the data PLEN and PDO give. */
    DATAL_MISMATCH(NvmeTcp.FES_INVALID_HEADER_FIELD, 16, "DATAL %2$d for %1$s, expected %3$d (PLEN - PDO - DDGST)"),

    /** HDGST does not match the header. FEI is the digest received. */
    HEADER_DIGEST(NvmeTcp.FES_HEADER_DIGEST_ERROR, 0, "HDGST %2$08Xh for %1$s, computed %3$08Xh"),

    /**
     * DDGST does not match DATA. Not a transport error by the specification (the command fails with Transient
     * Transport Error); reported as an error only when the parser is configured to treat it as fatal.
     */
    DATA_DIGEST(0, 0, "DDGST %2$08Xh for %1$s, computed %3$08Xh");

    private final int fes;
    private final int fei;
    private final String template;

    PduError(final int fes, final int fei, final String template)
    {
        this.fes = fes;
        this.fei = fei;
        this.template = template;
    }

    /**
     * @return the FES a TermReq reports (0: none defined).
     */
    public int fes()
    {
        return fes;
    }

    /**
     * @return the FEI of an Invalid PDU Header Field error: the offset of the field in the PDU header.
     */
    public int fieldOffset()
    {
        return fei;
    }

    /**
     * Word the error (allocates: errors end the connection, so this is off the data path).
     *
     * @param typeName the PDU type's name.
     * @param value    the value received.
     * @param expected what was expected (for {@link #WRONG_DIRECTION} and {@link #UNEXPECTED_TYPE}: ignored).
     * @param context  text for {@link #WRONG_DIRECTION} (the receiving side) and {@link #UNEXPECTED_TYPE} (why).
     * @return the text.
     */
    public String describe(final String typeName, final long value, final long expected, final String context)
    {
        if (this == WRONG_DIRECTION || this == UNEXPECTED_TYPE)
        {
            return String.format(template, typeName, value, context);
        }
        return String.format(template, typeName, value, expected);
    }
}
