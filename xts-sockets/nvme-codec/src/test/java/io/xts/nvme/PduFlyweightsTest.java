package io.xts.nvme;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

import static io.xts.nvme.NvmeTcp.FLAG_DDGSTF;
import static io.xts.nvme.NvmeTcp.FLAG_HDGSTF;
import static io.xts.nvme.NvmeTcp.FLAG_LAST_PDU;
import static io.xts.nvme.NvmeTcp.FLAG_SUCCESS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every PDU type, the SQE, CQE, Connect data and Identify structures written through their flyweights and read back
 * field by field, plus the byte-exact examples of the fact sheet (layouts, PDO/PAD rules, digests on the wire).
 */
class PduFlyweightsTest
{
    private final MemorySegment memory = Arena.ofAuto().allocate(8192);
    private final Crc32c crc = new Crc32c();

    @Test
    void shouldRoundTripICReq()
    {
        memory.fill((byte)0x55);
        final ICReqPdu pdu = new ICReqPdu().wrap(memory, 16).write(3, true, false, 7);
        final ICReqPdu read = new ICReqPdu().wrap(memory, 16);
        assertCommon(read, NvmeTcp.TYPE_IC_REQ, 0, 128, 0, 128);
        assertEquals(0, read.pfv());
        assertEquals(3, read.hpda());
        assertTrue(read.headerDigest());
        assertFalse(read.dataDigest());
        assertEquals(7, read.maxR2t());
        assertEquals(0, read.dataLength());
        assertEquals("00".repeat(112), Hex.of(memory, 16 + 16, 112), "reserved bytes zeroed");
        pdu.pfv(1);
        assertEquals(1, read.pfv());
    }

    @Test
    void shouldWriteFactSheetICReqExample()
    {
        new ICReqPdu().wrap(memory, 0).write(0, true, true, 0);
        assertEquals("00008000800000000000000300000000" + "00".repeat(112), Hex.of(memory, 0, 128));
    }

    @Test
    void shouldRoundTripICResp()
    {
        new ICRespPdu().wrap(memory, 0).write(31, false, true, 0x40_0000);
        final ICRespPdu read = new ICRespPdu().wrap(memory, 0);
        assertCommon(read, NvmeTcp.TYPE_IC_RESP, 0, 128, 0, 128);
        assertEquals(31, read.cpda());
        assertFalse(read.headerDigest());
        assertTrue(read.dataDigest());
        assertEquals(0x40_0000, read.maxH2cData());
        assertThrows(IllegalArgumentException.class, () -> read.write(32, false, false, 4096));
    }

    @Test
    void shouldRoundTripTermReqWithOffendingHeader()
    {
        final MemorySegment offending = Hex.segment("0501180020000000" + "11".repeat(24));
        new TermReqPdu().wrap(memory, 0).write(NvmeTcp.TYPE_C2H_TERM_REQ, NvmeTcp.FES_INVALID_HEADER_FIELD, 2,
            offending, 0, offending.byteSize());
        final TermReqPdu read = new TermReqPdu().wrap(memory, 0);
        assertCommon(read, NvmeTcp.TYPE_C2H_TERM_REQ, 0, 24, 0, 24 + 32);
        assertEquals(1, read.fes());
        assertEquals(2, read.fei());
        assertEquals(24, read.dataOffset());
        assertEquals(32, read.dataLength());
        assertEquals(Hex.of(offending, 0, 32), Hex.of(memory, 24, 32));
        // FEI is a u32 at the unaligned offset 10.
        new TermReqPdu().wrap(memory, 0).write(NvmeTcp.TYPE_H2C_TERM_REQ, 3, 0xDEADBEEFL, 0);
        assertEquals("0200180018000000" + "0300" + "efbeadde" + "00".repeat(10), Hex.of(memory, 0, 24));
        assertEquals(0xDEADBEEFL, read.fei());
        // Longer offending headers are cut at 128 bytes.
        read.write(NvmeTcp.TYPE_H2C_TERM_REQ, 1, 0, memory, 1024, 200);
        assertEquals(152, read.plen());
    }

    @Test
    void shouldRoundTripCapsuleCmdWithoutData()
    {
        memory.fill((byte)0x77);
        final CapsuleCmdPdu pdu = new CapsuleCmdPdu().wrap(memory, 8).writeHeader(true, true, 0, 0);
        pdu.sqe().writeKeepAlive(5);
        assertCommon(pdu, NvmeTcp.TYPE_CAPSULE_CMD, FLAG_HDGSTF, 72, 0, 76);
        assertFalse(pdu.hasDataDigest(), "no DDGSTF without data");
        assertEquals(0, pdu.dataLength());
        final Sqe sqe = new CapsuleCmdPdu().wrap(memory, 8).sqe();
        assertEquals(NvmeTcp.OPC_KEEP_ALIVE, sqe.opcode());
        assertEquals(1, sqe.psdt());
        assertEquals(0, sqe.fuse());
        assertEquals(5, sqe.cid());
        assertEquals(NvmeTcp.SGL_TRANSPORT, sqe.sglIdentifier());
        assertEquals(5, sqe.sglType());
        assertEquals(0xA, sqe.sglSubtype());
        assertEquals(0, sqe.sglLength());
    }

    @Test
    void shouldMatchFactSheetKeepAliveHeaderDigest()
    {
        final CapsuleCmdPdu pdu = new CapsuleCmdPdu().wrap(memory, 0).writeHeader(true, false, 0, 0);
        pdu.sqe().writeKeepAlive(5);
        pdu.writeHeaderDigest(crc);
        assertEquals("040148004c000000", Hex.of(memory, 0, 8));
        assertEquals("18400500", Hex.of(memory, 8, 4));
        assertEquals("5a", Hex.of(memory, 8 + 39, 1));
        assertEquals("2b87c194", Hex.of(memory, 72, 4));
        assertTrue(pdu.verifyHeaderDigest(crc));
    }

    @Test
    void shouldRoundTripCapsuleCmdWithInCapsuleDataAndPadding()
    {
        // CPDA 0Fh: 64-byte alignment; 72 + 4 -> PDO 128, 52 bytes of PAD.
        final CapsuleCmdPdu pdu = new CapsuleCmdPdu().wrap(memory, 0).writeHeader(true, true, 0x0F, 1024);
        pdu.sqe().writeConnect(9, 0, 31, NvmeTcp.CATTR_SQ_FLOW_CONTROL_DISABLED, 5000);
        assertCommon(pdu, NvmeTcp.TYPE_CAPSULE_CMD, FLAG_HDGSTF | FLAG_DDGSTF, 72, 128, 128 + 1024 + 4);
        assertEquals(128, pdu.dataOffset());
        assertEquals(1024, pdu.dataLength());
        assertEquals("00".repeat(52), Hex.of(memory, 76, 52), "PAD zeroed");
        final ConnectData data = new ConnectData().wrap(memory, pdu.dataOffset());
        final UUID host = UUID.fromString("01234567-89ab-cdef-0011-223344556677");
        data.write(host, NvmeTcp.CNTLID_DYNAMIC, "nqn.2014-08.org.example:sub", "nqn.2014-08.org.nvmexpress:uuid:x");
        pdu.writeHeaderDigest(crc).writeDataDigest(crc);
        assertTrue(pdu.verifyHeaderDigest(crc));
        assertTrue(pdu.verifyDataDigest(crc));

        final Sqe sqe = new CapsuleCmdPdu().wrap(memory, 0).sqe();
        assertTrue(sqe.isFabrics());
        assertEquals(NvmeTcp.FCTYPE_CONNECT, sqe.fctype());
        assertEquals(9, sqe.cid());
        assertEquals(NvmeTcp.SGL_IN_CAPSULE, sqe.sglIdentifier());
        assertEquals(0, sqe.sglAddress());
        assertEquals(1024, sqe.sglLength());
        assertEquals(0, sqe.connectRecfmt());
        assertEquals(0, sqe.connectQid());
        assertEquals(31, sqe.connectSqsize());
        assertEquals(4, sqe.connectCattr());
        assertEquals(5000, sqe.connectKato());

        final ConnectData read = new ConnectData().wrap(memory, 128);
        assertEquals(host, read.hostId());
        assertEquals("0123456789abcdef0011223344556677", Hex.of(memory, 128, 16), "UUID byte order");
        assertEquals(0xFFFF, read.cntlid());
        assertEquals("nqn.2014-08.org.example:sub", read.subNqn());
        assertEquals("nqn.2014-08.org.nvmexpress:uuid:x", read.hostNqn());
        assertEquals("ffff", Hex.of(memory, 128 + 16, 2));
        assertEquals("6e716e2e", Hex.of(memory, 128 + 256, 4));
        assertEquals("00", Hex.of(memory, 128 + 256 + 27, 1), "NUL terminated");
    }

    @Test
    void shouldRoundTripCapsuleResp()
    {
        final CapsuleRespPdu pdu = new CapsuleRespPdu().wrap(memory, 0)
            .write(true, 0, 0, 1, 0, 1, 0).writeHeaderDigest(crc);
        assertEquals("050118001c000000" + "0000000000000000" + "0100000001000000" + "04c57a1d", Hex.of(memory, 0, 28));
        assertCommon(pdu, NvmeTcp.TYPE_CAPSULE_RESP, FLAG_HDGSTF, 24, 0, 28);

        new CapsuleRespPdu().wrap(memory, 0)
            .write(false, 0x1234_0001, 0xCAFE, 0xFFFF, 3, 0xBEEF, NvmeTcp.status(1, 0x82, true) | 1);
        final Cqe cqe = new CapsuleRespPdu().wrap(memory, 0).cqe();
        assertEquals(0x1234_0001, cqe.dw0());
        assertEquals(0x0001, cqe.connectCntlid());
        assertEquals(0xCAFE, cqe.dw1());
        assertEquals(0x0000_CAFE_1234_0001L, cqe.result64());
        assertEquals(0xFFFF, cqe.sqhd());
        assertEquals(3, cqe.sqid());
        assertEquals(0xBEEF, cqe.cid());
        assertEquals(1, cqe.phase());
        assertEquals(0x82, cqe.statusCode());
        assertEquals(1, cqe.statusCodeType());
        assertTrue(cqe.doNotRetry());
        assertFalse(cqe.more());
        assertFalse(cqe.isSuccess());
        assertEquals(24, new PduHeader().wrap(memory, 0).plen());
    }

    @Test
    void shouldDecodeFactSheetStatusField()
    {
        // P=1, SC=22h, DNR=1 gives raw 8045h.
        assertEquals(0x8045, NvmeTcp.status(0, 0x22, true) | NvmeTcp.STATUS_PHASE);
        final Cqe cqe = new Cqe().wrap(memory, 0).write(0, 0, 0, 0, 0, 0x8045);
        assertEquals(0x22, cqe.statusCode());
        assertEquals(0, cqe.statusCodeType());
        assertTrue(cqe.doNotRetry());
        cqe.write(0, 0, 0, 0, 0, NvmeTcp.STATUS_PHASE);
        assertTrue(cqe.isSuccess(), "the phase tag is not part of the status");
    }

    @Test
    void shouldRoundTripH2CDataWithFactSheetPadding()
    {
        // CPDA 0Fh (64-byte alignment), no HDGST: 24-byte header + 40 bytes PAD, PDO 64.
        final H2CDataPdu pdu = new H2CDataPdu().wrap(memory, 0).write(false, true, 0x0F, 0x1234, 0xABCD, 4096, 512,
            true);
        assertCommon(pdu, NvmeTcp.TYPE_H2C_DATA, FLAG_DDGSTF | FLAG_LAST_PDU, 24, 64, 64 + 512 + 4);
        final H2CDataPdu read = new H2CDataPdu().wrap(memory, 0);
        assertEquals(0x1234, read.cccid());
        assertEquals(0xABCD, read.ttag());
        assertEquals(4096, read.datao());
        assertEquals(512, read.datal());
        assertTrue(read.isLastPdu());
        assertEquals(512, read.dataLength());
        assertEquals("00".repeat(4 + 40), Hex.of(memory, 20, 44), "reserved and PAD zeroed");
    }

    @Test
    void shouldRoundTripC2HDataAndMatchFactSheetExample()
    {
        final C2HDataPdu pdu = new C2HDataPdu().wrap(memory, 0).write(true, true, 0, 1, 0, 8, true, true);
        MemorySegment.copy(MemorySegment.ofArray("12345678".getBytes(StandardCharsets.US_ASCII)), 0, memory,
            pdu.dataOffset(), 8);
        pdu.writeHeaderDigest(crc).writeDataDigest(crc);
        assertEquals("070f181c28000000" + "0100000000000000" + "0800000000000000" + "5d9d260e" + "3132333435363738" +
            "9a808760", Hex.of(memory, 0, 40));
        assertCommon(pdu, NvmeTcp.TYPE_C2H_DATA, 0x0F, 24, 28, 40);
        assertTrue(pdu.isSuccess());
        assertEquals(1, pdu.cccid());
        assertEquals(0, pdu.datao());
        assertEquals(8, pdu.datal());

        // HPDA 03h (16-byte alignment), no HDGST: 8 bytes PAD, PDO 32.
        final C2HDataPdu padded = new C2HDataPdu().wrap(memory, 0).write(false, false, 3, 7, 1000, 64, false, false);
        assertCommon(padded, NvmeTcp.TYPE_C2H_DATA, 0, 24, 32, 96);
        assertFalse(padded.isLastPdu());
        assertThrows(IllegalArgumentException.class, () -> padded.write(false, false, 0, 1, 0, 4, false, true));
    }

    @Test
    void shouldRoundTripR2T()
    {
        final R2TPdu pdu = new R2TPdu().wrap(memory, 0).write(false, 0xFFFF, 7, 0xBB8, 0x2000);
        assertCommon(pdu, NvmeTcp.TYPE_R2T, 0, 24, 0, 24);
        final R2TPdu read = new R2TPdu().wrap(memory, 0);
        assertEquals(0xFFFF, read.cccid());
        assertEquals(7, read.ttag());
        assertEquals(0xBB8, read.r2to());
        assertEquals(0x2000, read.r2tl());
        assertEquals(0, read.dataLength());
        read.write(true, 1, 2, 3, 4).writeHeaderDigest(crc);
        assertEquals(28, read.plen());
        assertTrue(read.verifyHeaderDigest(crc));
        memory.set(ValueLayout.JAVA_BYTE, 12, (byte)9);
        assertFalse(read.verifyHeaderDigest(crc));
    }

    @Test
    void shouldWriteSqeCommands()
    {
        final Sqe sqe = new Sqe().wrap(memory, 0);
        // Fact sheet: OPC 02h, PSDT 1, CID 1234h starts 02 40 34 12.
        sqe.writeRead(0x1234, 1, 0x1_0000_0002L, 7, 4096);
        assertEquals("02403412", Hex.of(memory, 0, 4));
        assertEquals(1, sqe.nsid());
        assertEquals(0x1_0000_0002L, sqe.slba());
        assertEquals(2, sqe.cdw10());
        assertEquals(1, sqe.cdw11());
        assertEquals(7, sqe.nlb());
        assertEquals(7, sqe.cdw12());
        assertEquals(0, sqe.control());
        assertEquals(4096, sqe.sglLength());

        // Fact sheet: type 5, subtype Ah, length 1000h gives SGL bytes 8..15 = 00 10 00 00 00 00 00 5a.
        assertEquals("001000000000005a", Hex.of(memory, 32, 8));

        sqe.writeWrite(3, 2, 10, 0, 512, true);
        assertEquals(NvmeTcp.OPC_WRITE, sqe.opcode());
        assertEquals(NvmeTcp.SGL_IN_CAPSULE, sqe.sglIdentifier());
        assertEquals(512, sqe.sglLength());
        sqe.writeWrite(3, 2, 10, 0, 512, false);
        assertEquals(NvmeTcp.SGL_TRANSPORT, sqe.sglIdentifier());

        sqe.writePropertyGet(4, NvmeTcp.PROP_CAP, true);
        assertEquals(NvmeTcp.FCTYPE_PROPERTY_GET, sqe.fctype());
        assertEquals(8, sqe.propertySize());
        assertEquals(0, sqe.propertyOffset());
        sqe.writePropertySet(5, NvmeTcp.PROP_CC, false, 0x0046_0001);
        assertEquals(NvmeTcp.FCTYPE_PROPERTY_SET, sqe.fctype());
        assertEquals(4, sqe.propertySize());
        assertEquals(0x14, sqe.propertyOffset());
        assertEquals(0x0046_0001, sqe.propertyValue());
        assertEquals("7f400500" + "00", Hex.of(memory, 0, 5));

        sqe.writeIdentify(6, NvmeTcp.CNS_CONTROLLER, 0, 0);
        assertEquals(NvmeTcp.OPC_IDENTIFY, sqe.opcode());
        assertEquals(1, sqe.identifyCns());
        assertEquals(0, sqe.identifyCntid());
        assertEquals(0, sqe.identifyCsi());
        assertEquals(4096, sqe.sglLength());

        sqe.writeSetFeatures(7, NvmeTcp.FID_NUMBER_OF_QUEUES, (3 << 16) | 3);
        assertEquals(7, sqe.featureId());
        assertEquals(0x0003_0003, sqe.cdw11());

        sqe.cdw(13, 0x11).cdw(14, 0x22).cdw(15, 0x33);
        assertEquals(0x11, sqe.cdw13());
        assertEquals(0x22, sqe.cdw14());
        assertEquals(0x33, sqe.cdw15());
        assertEquals(0, sqe.mptr());
        sqe.opcode(0x99).flags(0x41).cid(0xFFFF).nsid(0xFFFF_FFFFL);
        assertEquals(0x99, sqe.opcode());
        assertEquals(1, sqe.fuse());
        assertEquals(0xFFFF, sqe.cid());
        assertEquals(0xFFFF_FFFFL, sqe.nsid());
    }

    @Test
    void shouldRoundTripIdentifyController()
    {
        final IdentifyController id = new IdentifyController().wrap(memory, 0).clear();
        id.vid(0x1B36).serialNumber("XTS0001").modelNumber("XTS-J RAM").firmwareRevision("0.1").mdts(5)
            .cntlid(1).version(0x0001_0400).ctratt(0x41).controllerType(IdentifyController.CNTRLTYPE_IO).kas(10)
            .sqes(0x66).cqes(0x44).maxcmd(128).nn(1).oncs(0x4).vwc(1).sgls(0x0010_0001)
            .subNqn("nqn.2024-01.io.xts:ram").ioccsz(4 + 256).iorcsz(1).icdoff(0).fabricsAttributes(0).msdbd(1);
        final IdentifyController read = new IdentifyController().wrap(memory, 0);
        assertEquals(0x1B36, read.vid());
        assertEquals("XTS0001", read.serialNumber());
        assertEquals("XTS0001" + " ".repeat(13),
            new String(memory.asSlice(4, 20).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII),
            "space padded");
        assertEquals("XTS-J RAM", read.modelNumber());
        assertEquals("0.1", read.firmwareRevision());
        assertEquals(5, read.mdts());
        assertEquals(1, read.cntlid());
        assertEquals(0x0001_0400, read.version());
        assertEquals(0x41, read.ctratt());
        assertEquals(1, read.controllerType());
        assertEquals(10, read.kas());
        assertEquals(0x66, read.sqes());
        assertEquals(0x44, read.cqes());
        assertEquals(128, read.maxcmd());
        assertEquals(1, read.nn());
        assertEquals(4, read.oncs());
        assertEquals(1, read.vwc());
        assertEquals(0x0010_0001, read.sgls());
        assertEquals("nqn.2024-01.io.xts:ram", read.subNqn());
        assertEquals(260, read.ioccsz());
        assertEquals(1, read.iorcsz());
        assertEquals(0, read.icdoff());
        assertEquals(0, read.fabricsAttributes());
        assertEquals(1, read.msdbd());
        assertEquals(4096, read.inCapsuleDataLimit());
        assertEquals("0401", Hex.of(memory, 1792, 2));
        assertEquals("01", Hex.of(memory, 1803, 1));
    }

    @Test
    void shouldRoundTripIdentifyNamespace()
    {
        final IdentifyNamespace ns = new IdentifyNamespace().wrap(memory, 0).clear();
        ns.nsze(1L << 21).ncap(1L << 21).nuse(100).nlbaf(1).flbas(1).lbaf(0, 0, 9, 2).lbaf(1, 8, 12, 2);
        final IdentifyNamespace read = new IdentifyNamespace().wrap(memory, 0);
        assertEquals(1L << 21, read.nsze());
        assertEquals(1L << 21, read.ncap());
        assertEquals(100, read.nuse());
        assertEquals(1, read.nlbaf());
        assertEquals(1, read.formatIndex());
        assertFalse(read.extendedMetadata());
        // Fact sheet: MS 8, LBADS 12, RP 2 -> 08 00 0c 02.
        assertEquals("08000c02", Hex.of(memory, 128 + 4, 4));
        assertEquals(8, read.metadataSize(1));
        assertEquals(12, read.lbads(1));
        assertEquals(2, read.relativePerformance(1));
        assertEquals(4096, read.blockSize());
        assertEquals(8L << 30, read.capacityBytes());
        // Format index high bits (6:5) for more than 16 formats: FLBAS 31h -> index 17, extended metadata.
        read.flbas(0x31).lbaf(17, 0, 9, 0);
        assertEquals(17, read.formatIndex());
        assertTrue(read.extendedMetadata());
        assertEquals(512, read.blockSize());
    }

    @Test
    void shouldKnowPerTypeFacts()
    {
        for (int type = 0; type < 256; type++)
        {
            final boolean known = type <= 9 && type != 8;
            assertEquals(known, NvmeTcp.isKnownType(type), "type " + type);
        }
        assertEquals(128, NvmeTcp.headerLength(NvmeTcp.TYPE_IC_REQ));
        assertEquals(72, NvmeTcp.headerLength(NvmeTcp.TYPE_CAPSULE_CMD));
        assertEquals(24, NvmeTcp.headerLength(NvmeTcp.TYPE_R2T));
        assertEquals(-1, NvmeTcp.headerLength(8));
        assertEquals(FLAG_HDGSTF | FLAG_DDGSTF | FLAG_LAST_PDU | FLAG_SUCCESS,
            NvmeTcp.validFlags(NvmeTcp.TYPE_C2H_DATA));
        assertEquals(0, NvmeTcp.validFlags(NvmeTcp.TYPE_H2C_TERM_REQ));
        assertEquals(76, NvmeTcp.dataOffset(72, true, 0));
        assertEquals(128, NvmeTcp.dataOffset(72, true, 31));
        assertEquals(64, NvmeTcp.dataOffset(24, false, 15));
        assertEquals("R2T", NvmeTcp.typeName(9));
    }

    private static void assertCommon(final PduFlyweight<?> pdu, final int type, final int flags, final int hlen,
        final int pdo, final long plen)
    {
        assertEquals(type, pdu.type(), "type");
        assertEquals(flags, pdu.flags(), "flags");
        assertEquals(hlen, pdu.hlen(), "hlen");
        assertEquals(pdo, pdu.pdo(), "pdo");
        assertEquals(plen, pdu.plen(), "plen");
        assertEquals(0 != (flags & FLAG_HDGSTF), pdu.hasHeaderDigest());
        assertEquals(0 != (flags & FLAG_DDGSTF), pdu.hasDataDigest());
    }
}
