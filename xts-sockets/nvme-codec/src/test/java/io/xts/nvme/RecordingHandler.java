package io.xts.nvme;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Records what a {@link PduParser} reports as text, one event per header, PDU end (with the data reassembled from
 * its pieces) and error; applies the digests an ICReq/ICResp announces, as a host or controller would.
 */
final class RecordingHandler implements PduHandler
{
    final List<String> events = new ArrayList<>();
    private final ByteArrayOutputStream data = new ByteArrayOutputStream();
    private final int pda;
    PduParser parser;

    RecordingHandler(final int pda)
    {
        this.pda = pda;
    }

    static String headerEvent(final MemorySegment memory, final long offset, final long length)
    {
        return "header " + Hex.of(memory, offset, length);
    }

    static String endEvent(final boolean ok, final String data)
    {
        return "end ok=" + ok + " data=" + data;
    }

    @Override
    public void onHeader(final PduHeader header)
    {
        assertEquals(0, data.size());
        events.add(headerEvent(header.segment(), header.offset(), header.headerLengthWithDigest()));
    }

    @Override
    public void onData(final PduHeader header, final long dataOffset, final MemorySegment memory, final long offset,
        final int length)
    {
        assertTrue(length > 0);
        assertEquals(data.size(), dataOffset, "pieces arrive in order and contiguous");
        final byte[] bytes = new byte[length];
        MemorySegment.copy(memory, ValueLayout.JAVA_BYTE, offset, bytes, 0, length);
        data.writeBytes(bytes);
    }

    /** DATA the caller placed itself ({@link PduParser#dataPlaced}): recorded as onData would have. */
    void placed(final MemorySegment memory, final long offset, final int length)
    {
        final byte[] bytes = new byte[length];
        MemorySegment.copy(memory, ValueLayout.JAVA_BYTE, offset, bytes, 0, length);
        data.writeBytes(bytes);
    }

    @Override
    public void onPduEnd(final PduHeader header, final boolean dataDigestOk)
    {
        events.add(endEvent(dataDigestOk, HexFormat.of().formatHex(data.toByteArray())));
        data.reset();
        if (NvmeTcp.TYPE_IC_RESP == header.type())
        {
            final ICRespPdu resp = parser.icResp();
            parser.digests(resp.headerDigest(), resp.dataDigest()).receivePda(pda);
        }
        else if (NvmeTcp.TYPE_IC_REQ == header.type())
        {
            final ICReqPdu req = parser.icReq();
            parser.digests(req.headerDigest(), req.dataDigest()).receivePda(pda);
        }
    }

    @Override
    public void onMalformed(final PduError error, final String reason)
    {
        events.add("malformed " + error + ": " + reason);
    }
}
