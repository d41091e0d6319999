package io.xts.proxy.nvme;

import io.xts.nvme.C2HDataPdu;
import io.xts.nvme.CapsuleCmdPdu;
import io.xts.nvme.CapsuleRespPdu;
import io.xts.nvme.Crc32c;
import io.xts.nvme.H2CDataPdu;
import io.xts.nvme.ICReqPdu;
import io.xts.nvme.ICRespPdu;
import io.xts.nvme.NvmeTcp;
import io.xts.nvme.PduError;
import io.xts.nvme.PduFlyweight;
import io.xts.nvme.PduHandler;
import io.xts.nvme.PduHeader;
import io.xts.nvme.PduParser;
import io.xts.nvme.TermReqPdu;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

import static io.xts.nvme.DataPduFlyweight.DATA_LENGTH_OFFSET;
import static io.xts.nvme.NvmeTcp.FLAG_DDGSTF;
import static io.xts.nvme.NvmeTcp.FLAG_HDGSTF;
import static io.xts.nvme.NvmeTcp.FLAG_LAST_PDU;
import static io.xts.nvme.NvmeTcp.FLAG_SUCCESS;
import static io.xts.nvme.PduFlyweight.FLAGS_OFFSET;
import static io.xts.nvme.PduFlyweight.HLEN_OFFSET;
import static io.xts.nvme.PduFlyweight.PDO_OFFSET;
import static io.xts.nvme.PduFlyweight.PLEN_OFFSET;
import static io.xts.nvme.PduFlyweight.TYPE_OFFSET;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The three places that check NVMe/TCP PDU headers apply the same {@link io.xts.nvme.PduRules}: each malformed header
 * is refused for the same rule by the parser ({@link PduParser}, as the proxy's receive path and the host and target
 * use it), by the transmit digest writer ({@link H2CDigestWriter}, host-to-controller) and by the resync search's
 * check ({@link C2HHeaderCheck}, controller-to-host). A header travels one way, so each malformation is made from a
 * well-formed PDU of each direction: the host-to-controller one goes to the writer and a controller's parser, the
 * controller-to-host one to the check and a host's parser. Digests on, alignment code 0, 4096 data bytes at most.
 */
class PduRulesAcrossPathsTest
{
    private static final int LIMIT = 4096;
    /** Digests on, CPDA and HPDA 0, MAXH2CDATA 4096, both streams handed over at offset 0. */
    private static final PushedQueue QUEUE = new PushedQueue(true, true, 0, 0, LIMIT, 128, 0, 0);
    private static final Crc32c CRC = new Crc32c();

    static List<Arguments> malformations()
    {
        return List.of(
            Arguments.of("reserved type", PduError.UNKNOWN_TYPE,
                put8(h2cData(64), TYPE_OFFSET, 0x08), put8(c2hData(64), TYPE_OFFSET, 0x08)),
            Arguments.of("wrong direction", PduError.WRONG_DIRECTION, capsuleResp(), capsuleCmd()),
            Arguments.of("initialization again", PduError.UNEXPECTED_TYPE, icReq(), icResp()),
            Arguments.of("reserved flag", PduError.RESERVED_FLAGS,
                setFlags(capsuleCmd(), FLAG_LAST_PDU, 0), setFlags(capsuleResp(), FLAG_LAST_PDU, 0)),
            Arguments.of("missing header digest", PduError.HEADER_DIGEST_FLAG,
                setFlags(h2cData(64), 0, FLAG_HDGSTF), setFlags(c2hData(64), 0, FLAG_HDGSTF)),
            Arguments.of("missing data digest", PduError.DATA_DIGEST_FLAG,
                setFlags(h2cData(64), 0, FLAG_DDGSTF), setFlags(c2hData(64), 0, FLAG_DDGSTF)),
            Arguments.of("SUCCESS without LAST_PDU (C2HData only)", PduError.SUCCESS_WITHOUT_LAST,
                null, setFlags(c2hData(64), FLAG_SUCCESS, FLAG_LAST_PDU)),
            Arguments.of("bad HLEN", PduError.BAD_HLEN,
                put8(h2cData(64), HLEN_OFFSET, 20), put8(c2hData(64), HLEN_OFFSET, 20)),
            Arguments.of("bad PDO", PduError.BAD_PDO,
                put8(h2cData(64), PDO_OFFSET, 32), put8(c2hData(64), PDO_OFFSET, 32)),
            Arguments.of("PLEN below HLEN", PduError.PLEN_TOO_SHORT,
                put32(h2cData(64), PLEN_OFFSET, 20), put32(c2hData(64), PLEN_OFFSET, 20)),
            Arguments.of("PLEN not the fixed length (C2H only: an ICReq is refused before)", PduError.PLEN_MISMATCH,
                null, put32(capsuleResp(), PLEN_OFFSET, 32)),
            Arguments.of("data beyond the limit", PduError.PLEN_BEYOND_LIMIT, h2cData(LIMIT + 4), c2hData(LIMIT + 4)),
            Arguments.of("TermReq beyond 152 bytes", PduError.PLEN_BEYOND_LIMIT,
                put32(termReq(NvmeTcp.TYPE_H2C_TERM_REQ), PLEN_OFFSET, 153),
                put32(termReq(NvmeTcp.TYPE_C2H_TERM_REQ), PLEN_OFFSET, 153)),
            Arguments.of("DATAL inconsistent with PLEN and PDO", PduError.DATAL_MISMATCH,
                rehash(put32(h2cData(64), DATA_LENGTH_OFFSET, 60)), rehash(put32(c2hData(64), DATA_LENGTH_OFFSET, 60))),
            Arguments.of("HDGST wrong (C2H only: the writer computes HDGST)", PduError.HEADER_DIGEST,
                null, flipLastHeaderDigestByte(capsuleResp())));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformations")
    void everyPathRefusesAMalformedHeaderForTheSameRule(
        final String name, final PduError rule, final byte[] h2c, final byte[] c2h)
    {
        if (null != h2c)
        {
            final H2CDigestWriter writer = writer();
            assertFalse(writer.onData(MemorySegment.ofArray(h2c.clone()), 0, h2c.length), "the writer refuses");
            assertEquals(rule, writer.error(), "writer: " + writer.errorText());
            final PduParser controller = parser(PduParser.Side.CONTROLLER);
            controller.feed(MemorySegment.ofArray(h2c), 0, h2c.length);
            assertEquals(rule, controller.error(), "controller's parser: " + controller.errorText());
            assertEquals("app's " + NvmeTcp.typeName(h2c[0]) + " PDU at host-to-controller stream offset 0: " +
                controller.errorText(), writer.errorText(), "the same words");
        }
        if (null != c2h)
        {
            final C2HHeaderCheck check = check();
            final MemorySegment memory = MemorySegment.ofArray(c2h);
            for (int available = 0; available < Math.min(c2h.length, 64); available++)
            {
                assertTrue(check.check(memory, 0, available) <= 0, "never a header with " + available + " bytes");
            }
            assertEquals(C2HHeaderCheck.NO, check.check(memory, 0, c2h.length), "the resync search refuses");
            assertEquals(rule, check.rejection(), "resync check");
            final PduParser host = parser(PduParser.Side.HOST);
            host.feed(memory, 0, c2h.length);
            assertEquals(rule, host.error(), "host's parser: " + host.errorText());
        }
    }

    @Test
    void everyPathTakesTheWellFormedHeadersTheMalformationsAreMadeFrom()
    {
        for (final byte[] h2c : List.of(h2cData(64), h2cData(LIMIT), capsuleCmd(), termReq(NvmeTcp.TYPE_H2C_TERM_REQ)))
        {
            final H2CDigestWriter writer = writer();
            assertTrue(writer.onData(MemorySegment.ofArray(h2c.clone()), 0, h2c.length), writer.errorText());
            assertTrue(writer.atBoundary());
            final PduParser controller = parser(PduParser.Side.CONTROLLER);
            assertEquals(h2c.length, controller.feed(MemorySegment.ofArray(h2c), 0, h2c.length));
            assertEquals(1, controller.pduCount(), controller.errorText());
        }
        for (final byte[] c2h : List.of(c2hData(64), c2hData(LIMIT), capsuleResp(), termReq(NvmeTcp.TYPE_C2H_TERM_REQ)))
        {
            final MemorySegment memory = MemorySegment.ofArray(c2h);
            final C2HHeaderCheck check = check();
            assertEquals(new PduHeader().wrap(memory, 0).plen(), check.check(memory, 0, c2h.length));
            assertEquals(PduError.NONE, check.rejection());
            final PduParser host = parser(PduParser.Side.HOST);
            assertEquals(c2h.length, host.feed(memory, 0, c2h.length));
            assertEquals(1, host.pduCount(), host.errorText());
        }
    }

    @Test
    void onlyTheResyncSearchRefusesAHeaderThatIsValidButImplausible()
    {
        // DATAO not a whole number of dwords: no rule is broken, but no controller sends it.
        final byte[] c2h = c2hData(64);
        MemorySegment.ofArray(c2h).set(NvmeTcp.LE_INT, 12, 2);
        rehash(c2h);
        final MemorySegment memory = MemorySegment.ofArray(c2h);
        final C2HHeaderCheck check = check();
        assertEquals(C2HHeaderCheck.NO, check.check(memory, 0, c2h.length));
        assertEquals(PduError.NONE, check.rejection(), "no rule broken");
        final PduParser host = parser(PduParser.Side.HOST);
        assertEquals(c2h.length, host.feed(memory, 0, c2h.length));
        assertFalse(host.isFailed());
    }

    // ---- the three paths, negotiated alike ----

    private static H2CDigestWriter writer()
    {
        return new H2CDigestWriter(QUEUE, LIMIT);
    }

    private static C2HHeaderCheck check()
    {
        return new C2HHeaderCheck(QUEUE, LIMIT);
    }

    private static PduParser parser(final PduParser.Side side)
    {
        return new PduParser(side, LIMIT, new PduHandler()
        {
            @Override
            public void onHeader(final PduHeader header)
            {
            }

            @Override
            public void onData(
                final PduHeader header, final long dataOffset, final MemorySegment memory, final long offset,
                final int length)
            {
            }

            @Override
            public void onPduEnd(final PduHeader header, final boolean dataDigestOk)
            {
            }

            @Override
            public void onMalformed(final PduError error, final String reason)
            {
            }
        }).digests(true, true).receivePda(0).initializationOver();
    }

    // ---- well-formed PDUs (digests on, alignment 0) and malformations of them ----

    private static byte[] bytes(final MemorySegment segment, final PduFlyweight<?> pdu)
    {
        return segment.asSlice(0, pdu.plen()).toArray(ValueLayout.JAVA_BYTE);
    }

    private static byte[] h2cData(final int datal)
    {
        final MemorySegment m = Arena.ofAuto().allocate(256 + datal);
        final H2CDataPdu pdu = new H2CDataPdu().wrap(m, 0).write(true, true, 0, 1, 1, 0, datal, true);
        pdu.writeHeaderDigest(CRC).writeDataDigest(CRC);
        return bytes(m, pdu);
    }

    private static byte[] c2hData(final int datal)
    {
        final MemorySegment m = Arena.ofAuto().allocate(256 + datal);
        final C2HDataPdu pdu = new C2HDataPdu().wrap(m, 0).write(true, true, 0, 1, 0, datal, true, false);
        pdu.writeHeaderDigest(CRC).writeDataDigest(CRC);
        return bytes(m, pdu);
    }

    private static byte[] capsuleCmd()
    {
        final MemorySegment m = Arena.ofAuto().allocate(256);
        final CapsuleCmdPdu pdu = new CapsuleCmdPdu().wrap(m, 0).writeHeader(true, true, 0, 0);
        pdu.sqe().writeKeepAlive(1);
        pdu.writeHeaderDigest(CRC);
        return bytes(m, pdu);
    }

    private static byte[] capsuleResp()
    {
        final MemorySegment m = Arena.ofAuto().allocate(256);
        final CapsuleRespPdu pdu = new CapsuleRespPdu().wrap(m, 0).write(true, 0, 0, 1, 1, 1, 0);
        pdu.writeHeaderDigest(CRC);
        return bytes(m, pdu);
    }

    private static byte[] termReq(final int type)
    {
        final MemorySegment m = Arena.ofAuto().allocate(256);
        return bytes(m, new TermReqPdu().wrap(m, 0).write(type, NvmeTcp.FES_INVALID_HEADER_FIELD, 2, 128));
    }

    private static byte[] icReq()
    {
        final MemorySegment m = Arena.ofAuto().allocate(256);
        return bytes(m, new ICReqPdu().wrap(m, 0).write(0, true, true, 4));
    }

    private static byte[] icResp()
    {
        final MemorySegment m = Arena.ofAuto().allocate(256);
        return bytes(m, new ICRespPdu().wrap(m, 0).write(0, true, true, LIMIT));
    }

    private static byte[] put8(final byte[] pdu, final int at, final int value)
    {
        pdu[at] = (byte)value;
        return pdu;
    }

    private static byte[] put32(final byte[] pdu, final int at, final int value)
    {
        MemorySegment.ofArray(pdu).set(NvmeTcp.LE_INT, at, value);
        return pdu;
    }

    private static byte[] setFlags(final byte[] pdu, final int set, final int clear)
    {
        return put8(pdu, FLAGS_OFFSET, (pdu[FLAGS_OFFSET] | set) & ~clear);
    }

    private static byte[] rehash(final byte[] pdu)
    {
        CRC.writeHeaderDigest(MemorySegment.ofArray(pdu), 0);
        return pdu;
    }

    private static byte[] flipLastHeaderDigestByte(final byte[] pdu)
    {
        pdu[pdu[HLEN_OFFSET] + NvmeTcp.DIGEST_LENGTH - 1] ^= 1;
        return pdu;
    }
}
