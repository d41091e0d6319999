package io.xts.nvme;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static io.xts.nvme.PduParser.Side.CONTROLLER;
import static io.xts.nvme.PduParser.Side.HOST;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each way a PDU can be malformed is reported as its own {@link PduError}, worded with the field's value and what
 * was expected, with the FES/FEI of the TermReq to send; after it the parser refuses all input.
 */
class PduParserMalformedTest
{
    private final MemorySegment memory = Arena.ofAuto().allocate(16 * 1024);
    private final Crc32c crc = new Crc32c();
    private RecordingHandler handler;
    private PduParser parser;

    private PduParser parser(final PduParser.Side side, final boolean hd, final boolean dd, final int pda)
    {
        handler = new RecordingHandler(pda);
        parser = new PduParser(side, 4096, handler).expectInitialization(false);
        parser.digests(hd, dd).receivePda(pda);
        handler.parser = parser;
        return parser;
    }

    private void expect(final PduError error, final String text, final long length)
    {
        final long consumed = parser.feed(memory, 0, length);
        assertTrue(parser.isFailed(), "failed");
        assertEquals(error, parser.error());
        assertEquals(text, parser.errorText());
        assertEquals("malformed " + error + ": " + text, handler.events.getLast());
        assertEquals(1, parser.malformedCount());
        assertTrue(consumed <= length);
        final int events = handler.events.size();
        assertEquals(0, parser.feed(memory, 0, length), "refuses further input");
        assertEquals(events, handler.events.size(), "reports nothing more");
    }

    private void put8(final long at, final int value)
    {
        memory.set(ValueLayout.JAVA_BYTE, at, (byte)value);
    }

    @Test
    void shouldRejectReservedType()
    {
        parser(HOST, false, false, 0);
        new R2TPdu().wrap(memory, 0).write(false, 1, 1, 0, 4);
        put8(0, 0x08);
        expect(PduError.UNKNOWN_TYPE, "PDU-Type 08h is reserved", 24);
        assertEquals(NvmeTcp.FES_INVALID_HEADER_FIELD, parser.errorFes());
        assertEquals(0, parser.errorFei());
        assertEquals(8, parser.headerBytes(), "only the CH was needed");
        put8(0, 0xFF);
        parser(HOST, false, false, 0);
        expect(PduError.UNKNOWN_TYPE, "PDU-Type FFh is reserved", 24);
    }

    @Test
    void shouldRejectWrongDirection()
    {
        parser(HOST, false, false, 0);
        new CapsuleCmdPdu().wrap(memory, 0).writeHeader(false, false, 0, 0).sqe().writeKeepAlive(1);
        expect(PduError.WRONG_DIRECTION,
            "PDU-Type 04h (CapsuleCmd) travels the other way: not receivable by the host", 72);
        parser(CONTROLLER, false, false, 0);
        new C2HDataPdu().wrap(memory, 0).write(false, false, 0, 1, 0, 4, true, false);
        expect(PduError.WRONG_DIRECTION,
            "PDU-Type 07h (C2HData) travels the other way: not receivable by the controller", 32);
    }

    @Test
    void shouldRejectHlenWrongForType()
    {
        parser(HOST, false, false, 0);
        new CapsuleRespPdu().wrap(memory, 0).write(false, 0, 0, 0, 0, 1, 0);
        put8(2, 20);
        expect(PduError.BAD_HLEN, "HLEN 20 for CapsuleResp, expected 24", 24);
        assertEquals(2, parser.errorFei());
        parser(CONTROLLER, false, false, 0);
        new CapsuleCmdPdu().wrap(memory, 0).writeHeader(false, false, 0, 0);
        put8(2, 24);
        expect(PduError.BAD_HLEN, "HLEN 24 for CapsuleCmd, expected 72", 72);
    }

    @Test
    void shouldRejectPlenBelowHlen()
    {
        parser(CONTROLLER, false, false, 0);
        new CapsuleCmdPdu().wrap(memory, 0).writeHeader(false, false, 0, 0);
        memory.set(NvmeTcp.LE_INT, 4, 40);
        expect(PduError.PLEN_TOO_SHORT, "PLEN 40 for CapsuleCmd, expected at least 72", 72);
        assertEquals(4, parser.errorFei());
        parser(HOST, true, false, 0);
        new R2TPdu().wrap(memory, 0).write(true, 1, 1, 0, 4);
        memory.set(NvmeTcp.LE_INT, 4, 24);
        expect(PduError.PLEN_TOO_SHORT, "PLEN 24 for R2T, expected at least 28", 28);
    }

    @Test
    void shouldRejectPlenNotTheTypesFixedLength()
    {
        parser(HOST, false, false, 0);
        new CapsuleRespPdu().wrap(memory, 0).write(false, 0, 0, 0, 0, 1, 0);
        memory.set(NvmeTcp.LE_INT, 4, 28);
        expect(PduError.PLEN_MISMATCH, "PLEN 28 for CapsuleResp, expected 24", 24);
        parser(HOST, false, false, 0).expectInitialization(true);
        new ICRespPdu().wrap(memory, 0).write(0, false, false, 4096);
        memory.set(NvmeTcp.LE_INT, 4, 132);
        expect(PduError.PLEN_MISMATCH, "PLEN 132 for ICResp, expected 128", 128);
    }

    @Test
    void shouldRejectPdoInconsistent()
    {
        parser(HOST, false, false, 0);
        new C2HDataPdu().wrap(memory, 0).write(false, false, 0, 1, 0, 8, true, false);
        put8(3, 32);
        expect(PduError.BAD_PDO, "PDO 32 for C2HData, expected 24", 32);
        assertEquals(3, parser.errorFei());

        // Alignment 16 (HPDA 3) with HDGST: 28 rounds up to 32.
        parser(HOST, true, false, 3);
        new C2HDataPdu().wrap(memory, 0).write(true, false, 0, 1, 0, 8, true, false);
        expect(PduError.BAD_PDO, "PDO 28 for C2HData, expected 32", 36);

        parser(HOST, false, false, 0);
        new R2TPdu().wrap(memory, 0).write(false, 1, 1, 0, 4);
        put8(3, 24);
        expect(PduError.BAD_PDO, "PDO 24 for R2T, expected 0", 24);

        parser(CONTROLLER, false, false, 0);
        new CapsuleCmdPdu().wrap(memory, 0).writeHeader(false, false, 0, 0);
        put8(3, 72);
        expect(PduError.BAD_PDO, "PDO 72 for CapsuleCmd, expected 0", 72);
    }

    @Test
    void shouldRejectPlenBeyondLimit()
    {
        parser(HOST, false, true, 0);
        new C2HDataPdu().wrap(memory, 0).write(false, true, 0, 1, 0, 4100, true, false);
        expect(PduError.PLEN_BEYOND_LIMIT, "PLEN 4128 for C2HData, beyond the limit 4124", 4128);
        assertEquals(NvmeTcp.FES_INVALID_HEADER_FIELD, parser.errorFes());

        parser(CONTROLLER, false, false, 0);
        new H2CDataPdu().wrap(memory, 0).write(false, false, 0, 1, 0, 0, 8192, true);
        expect(PduError.PLEN_BEYOND_LIMIT, "PLEN 8216 for H2CData, beyond the limit 4120", 8216);
        assertEquals(NvmeTcp.FES_DATA_LIMIT_EXCEEDED, parser.errorFes(), "H2CData over MAXH2CDATA");
        assertEquals(0, parser.errorFei());

        parser(HOST, false, false, 0);
        new TermReqPdu().wrap(memory, 0).write(NvmeTcp.TYPE_C2H_TERM_REQ, 1, 0, 128);
        memory.set(NvmeTcp.LE_INT, 4, 153);
        expect(PduError.PLEN_BEYOND_LIMIT, "PLEN 153 for C2HTermReq, beyond the limit 152", 153);
    }

    @Test
    void shouldRejectFlagsNotValidForType()
    {
        parser(HOST, false, false, 0);
        new CapsuleRespPdu().wrap(memory, 0).write(false, 0, 0, 0, 0, 1, 0);
        put8(1, 0x04);
        expect(PduError.RESERVED_FLAGS, "FLAGS 04h for CapsuleResp, valid bits 01h", 24);
        assertEquals(1, parser.errorFei());

        parser(HOST, true, false, 0);
        new CapsuleRespPdu().wrap(memory, 0).write(false, 0, 0, 0, 0, 1, 0);
        expect(PduError.HEADER_DIGEST_FLAG, "HDGSTF 0 for CapsuleResp, expected 1", 24);

        parser(HOST, false, false, 0);
        new TermReqPdu().wrap(memory, 0).write(NvmeTcp.TYPE_C2H_TERM_REQ, 1, 0, 0);
        put8(1, 0x01);
        expect(PduError.RESERVED_FLAGS, "FLAGS 01h for C2HTermReq, valid bits 00h", 24);

        parser(HOST, false, true, 0);
        new C2HDataPdu().wrap(memory, 0).write(false, false, 0, 1, 0, 8, true, false);
        expect(PduError.DATA_DIGEST_FLAG, "DDGSTF 0 for C2HData, expected 1", 32);

        parser(CONTROLLER, false, true, 0);
        new CapsuleCmdPdu().wrap(memory, 0).writeHeader(false, true, 0, 0);
        put8(1, NvmeTcp.FLAG_DDGSTF);
        expect(PduError.DATA_DIGEST_FLAG, "DDGSTF 1 for CapsuleCmd, expected 0", 72);

        parser(HOST, false, false, 0);
        new C2HDataPdu().wrap(memory, 0).write(false, false, 0, 1, 0, 8, false, false);
        put8(1, NvmeTcp.FLAG_SUCCESS);
        expect(PduError.SUCCESS_WITHOUT_LAST, "FLAGS 08h for C2HData: SUCCESS without LAST_PDU", 32);
    }

    @Test
    void shouldRejectBadHeaderDigest()
    {
        parser(HOST, true, false, 0);
        new CapsuleRespPdu().wrap(memory, 0).write(true, 0, 0, 1, 0, 1, 0).writeHeaderDigest(crc);
        put8(20, 2);
        final int computed = Crc32c.of(memory, 0, 24);
        expect(PduError.HEADER_DIGEST, String.format("HDGST 1D7AC504h for CapsuleResp, computed %08Xh", computed), 28);
        assertEquals(NvmeTcp.FES_HEADER_DIGEST_ERROR, parser.errorFes());
        assertEquals(0x1D7AC504L, parser.errorFei(), "FEI carries the digest received");
        assertEquals(28, parser.headerBytes());
        // The offending header is there for the TermReq.
        final TermReqPdu term = new TermReqPdu().wrap(memory, 1024).write(NvmeTcp.TYPE_H2C_TERM_REQ,
            parser.errorFes(), parser.errorFei(), parser.headerBuffer(), 0, parser.headerBytes());
        assertEquals(24 + 28, term.plen());
        assertEquals(Hex.of(memory, 0, 28), Hex.of(memory, 1024 + 24, 28));
    }

    @Test
    void shouldReportBadDataDigestAtPduEndAndContinue()
    {
        parser(HOST, true, true, 0);
        final C2HDataPdu pdu = new C2HDataPdu().wrap(memory, 0).write(true, true, 0, 1, 0, 8, true, true);
        pdu.writeHeaderDigest(crc).writeDataDigest(crc);
        new CapsuleRespPdu().wrap(memory, 40).write(true, 0, 0, 1, 0, 2, 0).writeHeaderDigest(crc);
        put8(30, 0x5A);
        assertEquals(68, parser.feed(memory, 0, 68));
        assertFalse(parser.isFailed(), "a data digest error is not a transport error");
        assertEquals(1, parser.dataDigestErrors());
        assertEquals(2, parser.pduCount());
        assertEquals(RecordingHandler.endEvent(false, Hex.of(memory, 28, 8)), handler.events.get(1));
        assertEquals(RecordingHandler.endEvent(true, ""), handler.events.get(3));

        parser(HOST, true, true, 0).dataDigestErrorFatal(true);
        final int computed = Crc32c.of(memory, 28, 8);
        expect(PduError.DATA_DIGEST, String.format("DDGST %08Xh for C2HData, computed %08Xh",
            Crc32c.get(memory, 36), computed), 68);
        assertEquals(RecordingHandler.endEvent(false, Hex.of(memory, 28, 8)), handler.events.get(1));
        assertEquals(1, parser.pduCount());
    }

    @Test
    void shouldRejectDatalNotMatchingPlen()
    {
        parser(CONTROLLER, false, false, 0);
        new H2CDataPdu().wrap(memory, 0).write(false, false, 0, 1, 0, 0, 64, true);
        memory.set(NvmeTcp.LE_INT, 16, 60);
        expect(PduError.DATAL_MISMATCH, "DATAL 60 for H2CData, expected 64 (PLEN - PDO - DDGST)", 88);
        assertEquals(16, parser.errorFei());
    }

    @Test
    void shouldRejectPdusOutOfInitializationSequence()
    {
        parser(HOST, false, false, 0).expectInitialization(true);
        new CapsuleRespPdu().wrap(memory, 0).write(false, 0, 0, 0, 0, 1, 0);
        expect(PduError.UNEXPECTED_TYPE, "PDU-Type 05h (CapsuleResp) out of sequence: expected ICResp first", 24);
        assertEquals(NvmeTcp.FES_SEQUENCE_ERROR, parser.errorFes());

        parser(CONTROLLER, false, false, 0).expectInitialization(true);
        new ICReqPdu().wrap(memory, 0).write(0, false, false, 0);
        new ICReqPdu().wrap(memory, 128).write(0, false, false, 0);
        expect(PduError.UNEXPECTED_TYPE, "PDU-Type 00h (ICReq) out of sequence: initialization is over", 256);
        assertEquals(1, parser.pduCount());

        // A TermReq may come at any time (a controller refusing an ICReq answers with one).
        parser(HOST, false, false, 0).expectInitialization(true);
        new TermReqPdu().wrap(memory, 0).write(NvmeTcp.TYPE_C2H_TERM_REQ, 1, 11, 0);
        assertEquals(24, parser.feed(memory, 0, 24));
        assertFalse(parser.isFailed());
    }

    @Test
    void shouldRefuseInitializationWhenJoinedAfterIt()
    {
        // A proxy takes over the framing after ICResp: any PDU but ICResp is accepted from the first one.
        parser(HOST, false, false, 0).expectInitialization(true).initializationOver();
        new CapsuleRespPdu().wrap(memory, 0).write(false, 0, 0, 0, 0, 1, 0);
        assertEquals(24, parser.feed(memory, 0, 24));
        assertFalse(parser.isFailed());
        new ICRespPdu().wrap(memory, 0).write(0, false, false, 4096);
        expect(PduError.UNEXPECTED_TYPE, "PDU-Type 01h (ICResp) out of sequence: initialization is over", 128);
        assertEquals(8, parser.headerBytes(), "refused on its common header");
        parser.reset();
        assertFalse(parser.isInitialized(), "cleared by reset");
    }

    @Test
    void shouldRestartAfterReset()
    {
        parser(HOST, false, false, 0);
        new R2TPdu().wrap(memory, 0).write(false, 1, 1, 0, 4);
        put8(0, 0x08);
        parser.feed(memory, 0, 24);
        assertTrue(parser.isFailed());
        parser.reset().expectInitialization(false);
        put8(0, NvmeTcp.TYPE_R2T);
        assertEquals(24, parser.feed(memory, 0, 24));
        assertEquals(PduError.NONE, parser.error());
        assertEquals(0, parser.malformedCount());
        assertEquals(1, parser.pduCount());
    }
}
