package io.xts.nvme;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static io.xts.nvme.PduParser.Side.CONTROLLER;
import static io.xts.nvme.PduParser.Side.HOST;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link PduRules} on its own: every well-formed header of each type passes, each rule is reported as its
 * {@link PduError} with the offending value and what was expected, a partial common header is checked only as far as
 * its bytes go, and the plausibility checks of the resync search refuse what no sender writes.
 */
class PduRulesTest
{
    private final MemorySegment memory = Arena.ofAuto().allocate(4096);
    private final PduHeader header = new PduHeader().wrap(memory, 0);
    private final Crc32c crc = new Crc32c();

    private static PduRules host(final boolean hd, final boolean dd, final int hpda)
    {
        return new PduRules(HOST).digests(hd, dd).receivePda(hpda).maxDataLength(4096);
    }

    private static PduRules controller(final boolean hd, final boolean dd, final int cpda)
    {
        return new PduRules(CONTROLLER).digests(hd, dd).receivePda(cpda).maxDataLength(8192, 4096);
    }

    private void put8(final long at, final int value)
    {
        memory.set(ValueLayout.JAVA_BYTE, at, (byte)value);
    }

    private void put32(final long at, final long value)
    {
        memory.set(NvmeTcp.LE_INT, at, (int)value);
    }

    private void rehash()
    {
        if (header.hasHeaderDigest())
        {
            crc.writeHeaderDigest(memory, 0);
        }
    }

    /** The whole header passes every rule. */
    private void passes(final PduRules rules, final boolean initialized)
    {
        assertEquals(PduError.NONE, rules.checkCommonHeader(header, initialized), header.typeName());
        assertEquals(PduError.NONE, rules.checkHeaderDigest(header, crc), header.typeName());
        assertEquals(PduError.NONE, rules.checkDataLength(header), header.typeName());
    }

    private static void broken(
        final PduRules rules, final PduError expected, final PduError actual, final long value, final long should)
    {
        assertEquals(expected, actual);
        assertEquals(value, rules.value(), "value");
        assertEquals(should, rules.expected(), "expected");
    }

    @Test
    void wellFormedHeadersOfEveryTypePass()
    {
        for (final boolean hd : new boolean[] {false, true})
        {
            for (final boolean dd : new boolean[] {false, true})
            {
                for (final int pda : new int[] {0, 3, 31})
                {
                    final PduRules host = host(hd, dd, pda);
                    new CapsuleRespPdu().wrap(memory, 0).write(hd, 0, 0, 1, 1, 7, 0).writeHeaderDigest(crc);
                    passes(host, true);
                    new C2HDataPdu().wrap(memory, 0).write(hd, dd, pda, 7, 512, 4096, true, true)
                        .writeHeaderDigest(crc);
                    passes(host, true);
                    new R2TPdu().wrap(memory, 0).write(hd, 7, 3, 0, 8192).writeHeaderDigest(crc);
                    passes(host, true);
                    new TermReqPdu().wrap(memory, 0).write(NvmeTcp.TYPE_C2H_TERM_REQ, 1, 2, 128);
                    passes(host, true);
                    passes(host, false);
                    new ICRespPdu().wrap(memory, 0).write(0, true, true, 65536);
                    passes(host, false);

                    final PduRules controller = controller(hd, dd, pda);
                    new CapsuleCmdPdu().wrap(memory, 0).writeHeader(hd, dd, pda, 0).writeHeaderDigest(crc);
                    passes(controller, true);
                    new CapsuleCmdPdu().wrap(memory, 0).writeHeader(hd, dd, pda, 8192).writeHeaderDigest(crc);
                    passes(controller, true);
                    new H2CDataPdu().wrap(memory, 0).write(hd, dd, pda, 7, 3, 0, 4096, true).writeHeaderDigest(crc);
                    passes(controller, true);
                    new TermReqPdu().wrap(memory, 0).write(NvmeTcp.TYPE_H2C_TERM_REQ, 1, 2, 0);
                    passes(controller, true);
                    new ICReqPdu().wrap(memory, 0).write(0, true, true, 4);
                    passes(controller, false);
                }
            }
        }
    }

    @Test
    void typeRules()
    {
        final PduRules host = host(false, false, 0);
        new R2TPdu().wrap(memory, 0).write(false, 1, 1, 0, 4);
        put8(0, 0x08);
        broken(host, PduError.UNKNOWN_TYPE, host.checkCommonHeader(header, true), 0x08, 0);

        new CapsuleCmdPdu().wrap(memory, 0).writeHeader(false, false, 0, 0);
        broken(host, PduError.WRONG_DIRECTION, host.checkCommonHeader(header, true), NvmeTcp.TYPE_CAPSULE_CMD, 0);
        final PduRules controller = controller(false, false, 0);
        new C2HDataPdu().wrap(memory, 0).write(false, false, 0, 1, 0, 4, true, false);
        broken(controller, PduError.WRONG_DIRECTION, controller.checkCommonHeader(header, true),
            NvmeTcp.TYPE_C2H_DATA, 0);

        // ICResp only first; nothing but ICResp (or a TermReq) before it.
        new ICRespPdu().wrap(memory, 0).write(0, false, false, 4096);
        broken(host, PduError.UNEXPECTED_TYPE, host.checkCommonHeader(header, true), NvmeTcp.TYPE_IC_RESP, 0);
        new CapsuleRespPdu().wrap(memory, 0).write(false, 0, 0, 1, 1, 7, 0);
        broken(host, PduError.UNEXPECTED_TYPE, host.checkCommonHeader(header, false), NvmeTcp.TYPE_CAPSULE_RESP, 0);
        assertEquals(PduError.NONE, host.expectInitialization(false).checkCommonHeader(header, false));
        new ICRespPdu().wrap(memory, 0).write(0, false, false, 4096);
        assertEquals(PduError.NONE, host.checkCommonHeader(header, true), "any order when not expected");
    }

    @Test
    void flagRules()
    {
        final PduRules host = host(true, true, 0);
        new CapsuleRespPdu().wrap(memory, 0).write(true, 0, 0, 1, 1, 7, 0);
        put8(1, NvmeTcp.FLAG_HDGSTF | NvmeTcp.FLAG_LAST_PDU);
        broken(host, PduError.RESERVED_FLAGS, host.checkCommonHeader(header, true), 0x05, NvmeTcp.FLAG_HDGSTF);

        new C2HDataPdu().wrap(memory, 0).write(false, true, 0, 1, 0, 64, true, false);
        broken(host, PduError.HEADER_DIGEST_FLAG, host.checkCommonHeader(header, true), 0, 1);
        new TermReqPdu().wrap(memory, 0).write(NvmeTcp.TYPE_C2H_TERM_REQ, 1, 0, 0);
        assertEquals(PduError.NONE, host.checkCommonHeader(header, true), "a TermReq never has HDGST");

        new C2HDataPdu().wrap(memory, 0).write(true, false, 0, 1, 0, 64, true, false);
        broken(host, PduError.DATA_DIGEST_FLAG, host.checkCommonHeader(header, true), 0, 1);
        new C2HDataPdu().wrap(memory, 0).write(true, true, 0, 1, 0, 64, true, false);
        put8(1, header.flags() | NvmeTcp.FLAG_SUCCESS);
        put8(1, header.flags() & ~NvmeTcp.FLAG_LAST_PDU);
        broken(host, PduError.SUCCESS_WITHOUT_LAST, host.checkCommonHeader(header, true), 0x0B, 0);

        // A CapsuleCmd has DDGSTF only when PLEN says data follows.
        final PduRules controller = controller(false, true, 0);
        new CapsuleCmdPdu().wrap(memory, 0).writeHeader(false, true, 0, 0);
        put8(1, NvmeTcp.FLAG_DDGSTF);
        broken(controller, PduError.DATA_DIGEST_FLAG, controller.checkCommonHeader(header, true), 1, 0);
        new CapsuleCmdPdu().wrap(memory, 0).writeHeader(false, true, 0, 512);
        put8(1, 0);
        broken(controller, PduError.DATA_DIGEST_FLAG, controller.checkCommonHeader(header, true), 0, 1);
    }

    @Test
    void lengthRules()
    {
        final PduRules host = host(true, false, 0);
        new CapsuleRespPdu().wrap(memory, 0).write(true, 0, 0, 1, 1, 7, 0);
        put8(2, 20);
        broken(host, PduError.BAD_HLEN, host.checkCommonHeader(header, true), 20, 24);

        new C2HDataPdu().wrap(memory, 0).write(true, false, 0, 1, 0, 64, true, false);
        put8(3, 24);
        broken(host, PduError.BAD_PDO, host.checkCommonHeader(header, true), 24, 28);
        new R2TPdu().wrap(memory, 0).write(true, 1, 1, 0, 4);
        put8(3, 28);
        broken(host, PduError.BAD_PDO, host.checkCommonHeader(header, true), 28, 0);
        final PduRules aligned = host(true, false, 3);
        new C2HDataPdu().wrap(memory, 0).write(true, false, 0, 1, 0, 64, true, false);
        broken(aligned, PduError.BAD_PDO, aligned.checkCommonHeader(header, true), 28, 32);

        new R2TPdu().wrap(memory, 0).write(true, 1, 1, 0, 4);
        put32(4, 24);
        broken(host, PduError.PLEN_TOO_SHORT, host.checkCommonHeader(header, true), 24, 28);
        put32(4, 32);
        broken(host, PduError.PLEN_MISMATCH, host.checkCommonHeader(header, true), 32, 28);
        new C2HDataPdu().wrap(memory, 0).write(true, false, 0, 1, 0, 64, true, false);
        put32(4, 28);
        broken(host, PduError.PLEN_TOO_SHORT, host.checkCommonHeader(header, true), 28, 29);
        new C2HDataPdu().wrap(memory, 0).write(true, false, 0, 1, 0, 4097, true, false);
        broken(host, PduError.PLEN_BEYOND_LIMIT, host.checkCommonHeader(header, true), 28 + 4097, 28 + 4096);
        new TermReqPdu().wrap(memory, 0).write(NvmeTcp.TYPE_C2H_TERM_REQ, 1, 0, 128);
        put32(4, 153);
        broken(host, PduError.PLEN_BEYOND_LIMIT, host.checkCommonHeader(header, true), 153, 152);
        new ICRespPdu().wrap(memory, 0).write(0, false, false, 4096);
        put32(4, 132);
        broken(host, PduError.PLEN_MISMATCH, host.checkCommonHeader(header, false), 132, 128);

        // A controller's limits differ by type: in-capsule data 8192, H2CData 4096.
        final PduRules controller = controller(false, false, 0);
        new CapsuleCmdPdu().wrap(memory, 0).writeHeader(false, false, 0, 8192);
        assertEquals(PduError.NONE, controller.checkCommonHeader(header, true));
        new CapsuleCmdPdu().wrap(memory, 0).writeHeader(false, false, 0, 8193);
        broken(controller, PduError.PLEN_BEYOND_LIMIT, controller.checkCommonHeader(header, true), 72 + 8193,
            72 + 8192);
        new H2CDataPdu().wrap(memory, 0).write(false, false, 0, 1, 1, 0, 4097, true);
        broken(controller, PduError.PLEN_BEYOND_LIMIT, controller.checkCommonHeader(header, true), 24 + 4097,
            24 + 4096);
        assertEquals(8192, controller.dataLimit(NvmeTcp.TYPE_CAPSULE_CMD));
        assertEquals(4096, controller.dataLimit(NvmeTcp.TYPE_H2C_DATA));
    }

    @Test
    void wholeHeaderRules()
    {
        final PduRules host = host(true, true, 0);
        new C2HDataPdu().wrap(memory, 0).write(true, true, 0, 1, 0, 64, true, false);
        put32(16, 60);
        rehash();
        assertEquals(PduError.NONE, host.checkCommonHeader(header, true));
        assertEquals(PduError.NONE, host.checkHeaderDigest(header, crc));
        broken(host, PduError.DATAL_MISMATCH, host.checkDataLength(header), 60, 64);

        final PduRules controller = controller(false, true, 0);
        new H2CDataPdu().wrap(memory, 0).write(false, true, 0, 1, 1, 0, 64, true);
        put32(16, 68);
        broken(controller, PduError.DATAL_MISMATCH, controller.checkDataLength(header), 68, 64);

        new CapsuleRespPdu().wrap(memory, 0).write(true, 0, 0, 1, 1, 7, 0).writeHeaderDigest(crc);
        final int good = memory.get(NvmeTcp.LE_INT, 24);
        put8(27, memory.get(ValueLayout.JAVA_BYTE, 27) ^ 1);
        broken(host, PduError.HEADER_DIGEST, host.checkHeaderDigest(header, crc),
            memory.get(NvmeTcp.LE_INT, 24) & 0xFFFF_FFFFL, good & 0xFFFF_FFFFL);
    }

    @Test
    void partialCommonHeaderIsCheckedAsFarAsItsBytesGo()
    {
        final PduRules host = host(false, false, 0);
        new CapsuleRespPdu().wrap(memory, 0).write(false, 0, 0, 1, 1, 7, 0);
        put8(1, 0x10);
        put8(2, 20);
        put32(4, 99);
        assertEquals(PduError.NONE, host.checkCommonHeader(header, true, 1), "only the type");
        assertEquals(PduError.RESERVED_FLAGS, host.checkCommonHeader(header, true, 2));
        put8(1, 0);
        assertEquals(PduError.NONE, host.checkCommonHeader(header, true, 2));
        assertEquals(PduError.BAD_HLEN, host.checkCommonHeader(header, true, 3));
        put8(2, 24);
        assertEquals(PduError.NONE, host.checkCommonHeader(header, true, 7), "PLEN not all there");
        assertEquals(PduError.PLEN_MISMATCH, host.checkCommonHeader(header, true, 8));
        put8(0, 0x0A);
        assertEquals(PduError.UNKNOWN_TYPE, host.checkCommonHeader(header, true, 1));

        // A CapsuleCmd's DDGSTF and PDO depend on PLEN: left for when it is there.
        final PduRules controller = controller(false, true, 0);
        new CapsuleCmdPdu().wrap(memory, 0).writeHeader(false, true, 0, 512);
        put8(1, 0);
        put8(3, 0);
        assertEquals(PduError.NONE, controller.checkCommonHeader(header, true, 4));
        assertEquals(PduError.DATA_DIGEST_FLAG, controller.checkCommonHeader(header, true, 8));
    }

    @Test
    void plausibilityRefusesWhatNoSenderWrites()
    {
        final PduRules host = host(false, false, 0);
        final C2HDataPdu c2h = new C2HDataPdu().wrap(memory, 0);
        c2h.write(false, false, 0, 1, 512, 64, true, false);
        assertTrue(host.plausibleDataLength(header));
        assertTrue(host.plausibleFields(header));
        put32(4, 24 + 3);
        assertFalse(host.plausibleDataLength(header), "less than a dword of data");
        c2h.write(false, false, 0, 1, 512, 64, true, false);
        put8(DataPduFlyweight.TTAG_OFFSET, 1);
        assertFalse(host.plausibleFields(header), "TTAG is reserved in C2HData");
        c2h.write(false, false, 0, 1, 512, 64, true, false);
        put8(DataPduFlyweight.RESERVED_OFFSET + 3, 1);
        assertFalse(host.plausibleFields(header), "reserved bytes");
        c2h.write(false, false, 0, 1, 514, 64, true, false);
        assertFalse(host.plausibleFields(header), "DATAO not a dword multiple");
        c2h.write(false, false, 0, 1, 512, 62, true, false);
        assertFalse(host.plausibleFields(header), "DATAL not a dword multiple");

        final R2TPdu r2t = new R2TPdu().wrap(memory, 0);
        r2t.write(false, 1, 1, 0, 4096);
        assertTrue(host.plausibleFields(header));
        r2t.write(false, 1, 1, 0, 0);
        assertFalse(host.plausibleFields(header), "R2TL 0");
        r2t.write(false, 1, 1, 2, 4096);
        assertFalse(host.plausibleFields(header), "R2TO not a dword multiple");

        final TermReqPdu term = new TermReqPdu().wrap(memory, 0);
        term.write(NvmeTcp.TYPE_C2H_TERM_REQ, NvmeTcp.FES_UNSUPPORTED_PARAMETER, 0, 0);
        assertTrue(host.plausibleFields(header));
        term.write(NvmeTcp.TYPE_C2H_TERM_REQ, 7, 0, 0);
        assertFalse(host.plausibleFields(header), "FES undefined");
        term.write(NvmeTcp.TYPE_C2H_TERM_REQ, 1, 0, 0);
        put8(TermReqPdu.RESERVED_OFFSET + 9, 1);
        assertFalse(host.plausibleFields(header), "reserved bytes");

        new CapsuleRespPdu().wrap(memory, 0).write(false, -1, -1, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF);
        assertTrue(host.plausibleFields(header), "any CQE");
    }

    @Test
    void describesAsTheParserDoes()
    {
        final PduRules host = host(false, false, 0);
        assertEquals("HLEN 20 for CapsuleResp, expected 24",
            host.describe(PduError.BAD_HLEN, NvmeTcp.TYPE_CAPSULE_RESP, 20, 24, true));
        assertEquals("PDU-Type 04h (CapsuleCmd) travels the other way: not receivable by the host",
            host.describe(PduError.WRONG_DIRECTION, NvmeTcp.TYPE_CAPSULE_CMD, 4, 0, true));
        assertEquals("PDU-Type 05h (CapsuleResp) out of sequence: expected ICResp first",
            host.describe(PduError.UNEXPECTED_TYPE, NvmeTcp.TYPE_CAPSULE_RESP, 5, 0, false));
        final PduRules controller = controller(false, false, 0);
        assertEquals("PDU-Type 00h (ICReq) out of sequence: initialization is over",
            controller.describe(PduError.UNEXPECTED_TYPE, NvmeTcp.TYPE_IC_REQ, 0, 0, true));
        assertEquals("PDU-Type 07h (C2HData) travels the other way: not receivable by the controller",
            controller.describe(PduError.WRONG_DIRECTION, NvmeTcp.TYPE_C2H_DATA, 7, 0, true));
    }

    @Test
    void settingsAreValidated()
    {
        assertThrows(IllegalArgumentException.class, () -> new PduRules(HOST).receivePda(32));
        assertThrows(IllegalArgumentException.class, () -> new PduRules(HOST).maxDataLength(-1));
        assertThrows(IllegalArgumentException.class, () -> new PduRules(CONTROLLER).maxDataLength(0, -1));
        final PduRules rules = new PduRules(CONTROLLER).digests(true, false).receivePda(7);
        assertEquals(CONTROLLER, rules.side());
        assertTrue(rules.headerDigest());
        assertFalse(rules.dataDigest());
        assertEquals(7, rules.receivePda());
        assertTrue(rules.expectInitialization());
    }
}
