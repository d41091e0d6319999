package io.xts.nvme;

import java.lang.foreign.MemorySegment;

/**
 * What {@link PduParser} reports as it delineates an NVMe/TCP byte stream: for each PDU, its header once complete and
 * checked, its DATA in the pieces in which it arrived, and its end with the data digest verdict; or the first
 * malformed PDU, after which the parser takes no more input. The header view and the memory handed over are valid only
 * during the call: copy or place the bytes before returning.
 */
public interface PduHandler
{
    /**
     * A PDU's header (CH + PSH, HDGST verified) is complete and well formed.
     *
     * @param header the header, in the parser's buffer; typed views over it from {@link PduParser}.
     */
    void onHeader(PduHeader header);

    /**
     * A piece of the PDU's DATA (never PAD or digests).
     *
     * @param header     the PDU's header.
     * @param dataOffset offset of this piece within the PDU's DATA (add DATAO for the place in the command buffer).
     * @param memory     memory holding the piece (the caller's input).
     * @param offset     offset of the piece in {@code memory}.
     * @param length     bytes of the piece, more than 0.
     */
    void onData(PduHeader header, long dataOffset, MemorySegment memory, long offset, int length);

    /**
     * The PDU has been consumed completely.
     *
     * @param header       the PDU's header.
     * @param dataDigestOk false only when DDGST was present and did not match DATA.
     */
    void onPduEnd(PduHeader header, boolean dataDigestOk);

    /**
     * The stream is malformed; the parser refuses further input and the connection must end (after a TermReq
     * with {@link PduParser#errorFes()} and {@link PduParser#errorFei()}, where the role sends one).
     *
     * @param error  why.
     * @param reason the error worded with the field's value and what was expected.
     */
    void onMalformed(PduError error, String reason);
}
