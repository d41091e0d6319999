package io.xts.tools.nvme;

import io.xts.tools.nvme.ScriptedHost.Completion;
import io.xts.tools.nvme.ScriptedHost.Pdu;
import io.xts.nvme.CapsuleCmdPdu;
import io.xts.nvme.Crc32c;
import io.xts.nvme.IdentifyController;
import io.xts.nvme.IdentifyNamespace;
import io.xts.nvme.NvmeTcp;
import io.xts.nvme.PduError;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The target in-process on a loopback port, driven by {@link ScriptedHost}: initialization with and without digests,
 * controller bring-up, Identify, I/O queues, writes (in-capsule and R2T) read back byte-exact, reads split into
 * C2HData, the SUCCESS flag, status codes, fatal errors and the fault injection.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NvmeTargetTest
{
    private static final String NQN = TargetConfig.DEFAULT_NQN;
    private static final long SIZE = 64L << 20;

    private final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception
    {
        for (int i = closeables.size() - 1; i >= 0; i--)
        {
            closeables.get(i).close();
        }
    }

    private static TargetConfig ram() throws IOException
    {
        return TargetConfig.defaults(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Backend.Kind.RAM, SIZE);
    }

    private int start(final TargetConfig config) throws IOException
    {
        final NvmeTargetServer server = new NvmeTargetServer(config,
            new PrintStream(logBytes, true, StandardCharsets.UTF_8));
        closeables.add(server);
        return server.start();
    }

    private ScriptedHost host(final int port) throws IOException
    {
        final ScriptedHost host = new ScriptedHost(port);
        closeables.add(host);
        return host;
    }

    private String log()
    {
        synchronized (logBytes)
        {
            return logBytes.toString(StandardCharsets.UTF_8);
        }
    }

    private static byte[] random(final int n, final long seed)
    {
        final byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    // ---- initialization ----

    @Test
    void shouldAnswerICReqWithoutDigests() throws Exception
    {
        final int port = start(ram());
        assertTrue(log().startsWith("nvme-target listening on 127.0.0.1:" + port + " nqn=" + NQN +
            " backend=ram size=64M"), log());
        final ScriptedHost host = host(port);
        final Pdu resp = host.icReq(false, false, 0);
        assertEquals(NvmeTcp.TYPE_IC_RESP, resp.type());
        assertEquals(0, host.icRespPfv);
        assertEquals(0, host.cpda);
        assertEquals(0, host.icRespDgst);
        assertEquals(128 << 10, host.maxH2cData);
        // A command works without digests: HDGSTF clear in the answer (the parser checks it).
        final Completion c = host.connect(1, 0, NvmeTcp.CNTLID_DYNAMIC, NQN, 0);
        assertEquals(0, c.status());
        assertTrue(c.dw0() >= 1);
    }

    @Test
    void shouldEchoDigestsAndUseThemBothWays() throws Exception
    {
        final int port = start(ram());
        final ScriptedHost host = host(port);
        host.icReq(true, true, 0);
        assertEquals(NvmeTcp.DGST_HEADER | NvmeTcp.DGST_DATA, host.icRespDgst);
        assertTrue(host.headerDigest && host.dataDigest);
        // The Connect carries HDGST and DDGST (in-capsule data); the answer and Identify data carry them back and
        // the host's parser verifies them.
        final Completion connect = host.connect(1, 0, NvmeTcp.CNTLID_DYNAMIC, NQN, 0);
        assertEquals(0, connect.status());
        assertEquals(0, host.propertySet(2, NvmeTcp.PROP_CC, 0x0046_0001).status());
        final Completion id = host.identify(3, NvmeTcp.CNS_CONTROLLER, 0);
        assertEquals(0, id.status());
        assertEquals(1, id.c2h().size());
        assertTrue(id.c2h().get(0).digestOk());
        assertEquals(NvmeTcp.FLAG_HDGSTF | NvmeTcp.FLAG_DDGSTF | NvmeTcp.FLAG_LAST_PDU, id.c2h().get(0).flags());
        assertEquals(0, host.parser().dataDigestErrors());
        assertFalse(host.parser().isFailed());
        final ScriptedHost onlyData = host(port);
        onlyData.icReq(false, true, 0);
        assertEquals(NvmeTcp.DGST_DATA, onlyData.icRespDgst, "each connection gets what it asked for");
    }

    // ---- admin queue ----

    @Test
    void shouldBringUpControllerAndIdentify() throws Exception
    {
        final ScriptedHost host = host(start(ram()));
        host.icReq(false, false, 0);
        final Completion connect = host.connect(1, 0, NvmeTcp.CNTLID_DYNAMIC, NQN, 0);
        assertEquals(0, connect.status());
        final int cntlid = connect.dw0();

        final Completion cap = host.propertyGet(2, NvmeTcp.PROP_CAP, true);
        assertEquals(0, cap.status());
        final long capValue = (cap.dw0() & 0xFFFF_FFFFL) | (long)cap.dw1() << 32;
        assertEquals(TargetController.QUEUE_ENTRIES - 1, capValue & 0xFFFF, "MQES");
        assertEquals(1, (capValue >>> 37) & 1, "CSS NVM");
        assertEquals(0x0001_0300, host.propertyGet(3, NvmeTcp.PROP_VS, false).dw0());
        assertEquals(0, host.propertyGet(4, NvmeTcp.PROP_CSTS, false).dw0(), "not ready before CC.EN");

        assertEquals(0, host.propertySet(5, NvmeTcp.PROP_CC, 0x0046_0001).status());
        assertEquals(0x0046_0001, host.propertyGet(6, NvmeTcp.PROP_CC, false).dw0());
        assertEquals(1, host.propertyGet(7, NvmeTcp.PROP_CSTS, false).dw0(), "CSTS.RDY after CC.EN");
        // Property Set of anything but CC is refused.
        final Completion badSet = host.propertySet(8, NvmeTcp.PROP_CSTS, 1);
        assertEquals(NvmeTcp.SC_INVALID_FIELD, badSet.sc());

        final Completion idc = host.identify(9, NvmeTcp.CNS_CONTROLLER, 0);
        assertEquals(0, idc.status());
        final IdentifyController ctrl = new IdentifyController().wrap(MemorySegment.ofArray(idc.data()), 0);
        assertEquals(cntlid, ctrl.cntlid());
        assertEquals(NQN, ctrl.subNqn());
        assertEquals(1, ctrl.nn());
        assertEquals(0x66, ctrl.sqes());
        assertEquals(0x44, ctrl.cqes());
        assertEquals((64 + 8192) / 16, ctrl.ioccsz());
        assertEquals(8192, ctrl.inCapsuleDataLimit());
        assertEquals(1, ctrl.iorcsz());
        assertEquals(0, ctrl.icdoff());
        assertEquals(1, ctrl.msdbd());
        assertEquals(TargetConnection.MDTS, ctrl.mdts());
        assertEquals(1, ctrl.sgls() & 0x3, "SGL support");
        assertEquals(IdentifyController.CNTRLTYPE_IO, ctrl.controllerType());
        assertNotEquals(0, ctrl.kas());

        final Completion idn = host.identify(10, NvmeTcp.CNS_NAMESPACE, 1);
        assertEquals(0, idn.status());
        final IdentifyNamespace ns = new IdentifyNamespace().wrap(MemorySegment.ofArray(idn.data()), 0);
        assertEquals(SIZE / 512, ns.nsze());
        assertEquals(SIZE / 512, ns.ncap());
        assertEquals(SIZE / 512, ns.nuse());
        assertEquals(9, ns.lbads(0));
        assertEquals(512, ns.blockSize());
        assertEquals(SIZE, ns.capacityBytes());

        assertEquals(NvmeTcp.SC_INVALID_NAMESPACE, host.identify(11, NvmeTcp.CNS_NAMESPACE, 2).sc());

        final Completion list = host.identify(12, NvmeTcp.CNS_ACTIVE_NAMESPACES, 0);
        final ByteBuffer ids = ByteBuffer.wrap(list.data()).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(1, ids.getInt(0));
        assertEquals(0, ids.getInt(4));
        assertEquals(0, ByteBuffer.wrap(host.identify(13, NvmeTcp.CNS_ACTIVE_NAMESPACES, 1).data())
            .order(ByteOrder.LITTLE_ENDIAN).getInt(0), "no namespace after NSID 1");

        host.command(s -> s.writeSetFeatures(14, NvmeTcp.FID_NUMBER_OF_QUEUES, 3 | 3 << 16), null);
        final Completion queues = host.await(14, 0, null);
        assertEquals(0, queues.status());
        assertEquals(3 | 3 << 16, queues.dw0());
        host.command(s -> s.writeSetFeatures(15, NvmeTcp.FID_NUMBER_OF_QUEUES, 1000 | 1000 << 16), null);
        assertEquals(63 | 63 << 16, host.await(15, 0, null).dw0(), "capped at 64 queues");

        host.command(s -> s.writeKeepAlive(16), null);
        assertEquals(0, host.await(16, 0, null).status());

        host.command(s -> s.command(NvmeTcp.OPC_GET_LOG_PAGE, 17, 0xFFFF_FFFFL).sglTransport(512).cdw(10,
            0x02 | (127 << 16)), null);
        final Completion smart = host.await(17, 512, null);
        assertEquals(0, smart.status());
        assertEquals(1, smart.c2h().size());
        assertEquals(512, smart.c2h().get(0).datal());

        host.command(s -> s.command(0xC5, 18, 0).sglTransport(0), null);
        final Completion unknown = host.await(18, 0, null);
        assertEquals(NvmeTcp.SC_INVALID_OPCODE, unknown.sc());
        assertEquals(NvmeTcp.SCT_GENERIC, unknown.sct());
        assertTrue(0 != (unknown.status() & NvmeTcp.STATUS_DNR));
    }

    @Test
    void shouldRefuseWrongSubsystemNqnAndUnknownController() throws Exception
    {
        final int port = start(ram().withNqn("nqn.2026-11.io.xts:other"));
        final ScriptedHost host = host(port);
        host.icReq(false, false, 0);
        final Completion wrong = host.connect(1, 0, NvmeTcp.CNTLID_DYNAMIC, NQN, 0);
        assertEquals(NvmeTcp.SCT_COMMAND_SPECIFIC, wrong.sct());
        assertEquals(NvmeTcp.SC_CONNECT_INVALID_PARAMETERS, wrong.sc());
        assertEquals(1 << 16 | 256, wrong.dw0(), "IATTR data, IPO SUBNQN");
        // The queue is still unconnected: a Property Get is refused, a right Connect works.
        assertEquals(NvmeTcp.SC_INVALID_OPCODE, host.propertyGet(2, NvmeTcp.PROP_CSTS, false).sc());
        assertEquals(0, host.connect(3, 0, NvmeTcp.CNTLID_DYNAMIC, "nqn.2026-11.io.xts:other", 0).status());

        final ScriptedHost io = host(port);
        io.icReq(false, false, 0);
        final Completion unknown = io.connect(1, 1, 0x1234, "nqn.2026-11.io.xts:other", 0);
        assertEquals(NvmeTcp.SC_CONNECT_INVALID_PARAMETERS, unknown.sc());
        assertEquals(1 << 16 | 16, unknown.dw0(), "IATTR data, IPO CNTLID");
    }

    @Test
    void shouldRefuseIoQueueBeforeControllerIsEnabled() throws Exception
    {
        final int port = start(ram());
        final ScriptedHost admin = host(port);
        admin.icReq(false, false, 0);
        final int cntlid = admin.connect(1, 0, NvmeTcp.CNTLID_DYNAMIC, NQN, 0).dw0();
        final ScriptedHost io = host(port);
        io.icReq(false, false, 0);
        assertEquals(NvmeTcp.SC_COMMAND_SEQUENCE_ERROR, io.connect(1, 1, cntlid, NQN, 0).sc());
        assertEquals(0, admin.propertySet(2, NvmeTcp.PROP_CC, 0x0046_0001).status());
        final Completion ok = io.connect(2, 1, cntlid, NQN, 0);
        assertEquals(0, ok.status());
        assertEquals(cntlid, ok.dw0());
    }

    // ---- I/O ----

    /** Admin queue enabled, then one I/O queue; returns the I/O host. */
    private ScriptedHost ioHost(final int port, final boolean hd, final boolean dd, final int maxR2t, final int cattr)
        throws IOException
    {
        final ScriptedHost admin = host(port);
        final int cntlid = admin.adminQueue(NQN, false, false);
        final ScriptedHost io = host(port);
        io.ioQueue(NQN, cntlid, 1, hd, dd, maxR2t, cattr);
        return io;
    }

    @Test
    void shouldWriteInCapsuleAndReadBackOneMebibyte() throws Exception
    {
        final int port = start(ram().withInCapsule(256 << 10));
        final ScriptedHost io = ioHost(port, false, true, 0, 0);
        final byte[] data = random(1 << 20, 1);
        final int chunk = 256 << 10;
        for (int i = 0; i < 4; i++)
        {
            final Completion w = io.write(10 + i, 1000 + i * (chunk / 512L),
                Arrays.copyOfRange(data, i * chunk, (i + 1) * chunk), true);
            assertEquals(0, w.status());
            assertTrue(w.r2t().isEmpty(), "in-capsule: no R2T");
        }
        final byte[] back = new byte[1 << 20];
        for (int i = 0; i < 2; i++)
        {
            final Completion r = io.read(20 + i, 1000 + i * 1024L, 1024);
            assertEquals(0, r.status());
            assertTrue(r.capsuleResp());
            assertEquals(4, r.c2h().size(), "512 KiB in C2HData of 128 KiB");
            System.arraycopy(r.data(), 0, back, i * (512 << 10), 512 << 10);
        }
        assertArrayEquals(data, back);
        assertEquals(0, io.parser().dataDigestErrors());
        // Write Zeroes clears 8 blocks in the middle, and only them.
        io.command(s -> s.command(NvmeTcp.OPC_WRITE_ZEROES, 30, 1).sglTransport(0).cdw(10, 1100).cdw(12, 7), null);
        assertEquals(0, io.await(30, 0, null).status());
        final Completion z = io.read(31, 1099, 10);
        assertArrayEquals(Arrays.copyOfRange(data, 99 * 512, 100 * 512),
            Arrays.copyOfRange(z.data(), 0, 512));
        assertArrayEquals(new byte[8 * 512], Arrays.copyOfRange(z.data(), 512, 9 * 512));
        assertArrayEquals(Arrays.copyOfRange(data, 108 * 512, 109 * 512),
            Arrays.copyOfRange(z.data(), 9 * 512, 10 * 512));
    }

    @Test
    void shouldWriteThroughOneR2tPerCommandWithDigests() throws Exception
    {
        final int port = start(ram());
        final ScriptedHost io = ioHost(port, true, true, 0, 0);
        final byte[] data = random(1 << 20, 2);
        final int chunk = 256 << 10;
        for (int i = 0; i < 4; i++)
        {
            final Completion w = io.write(30 + i, i * (chunk / 512L),
                Arrays.copyOfRange(data, i * chunk, (i + 1) * chunk), false);
            assertEquals(0, w.status());
            assertEquals(1, w.r2t().size(), "one R2T for the whole transfer");
            assertEquals(0, w.r2t().get(0).datao());
            assertEquals(chunk, w.r2t().get(0).datal());
        }
        final Completion r = io.read(40, 0, 2048);
        assertEquals(0, r.status());
        assertEquals(8, r.c2h().size());
        assertArrayEquals(data, r.data());
        assertTrue(r.c2h().stream().allMatch(Pdu::digestOk));
    }

    @Test
    void shouldWriteThroughR2tChunksOfMaxH2cData() throws Exception
    {
        final int port = start(ram().withR2t(32 << 10, 64 << 10));
        final ScriptedHost io = ioHost(port, false, false, 1, 0);
        assertEquals(32 << 10, io.maxH2cData);
        final byte[] data = random(1 << 20, 3);
        final int chunk = 256 << 10;
        for (int i = 0; i < 4; i++)
        {
            final Completion w = io.write(50 + i, 4096 + i * (chunk / 512L),
                Arrays.copyOfRange(data, i * chunk, (i + 1) * chunk), false);
            assertEquals(0, w.status());
            assertEquals(4, w.r2t().size(), "R2Ts of 64 KiB");
            for (int k = 0; k < 4; k++)
            {
                assertEquals(k * (64L << 10), w.r2t().get(k).datao());
                assertEquals(64L << 10, w.r2t().get(k).datal());
            }
        }
        final Completion r = io.read(60, 4096, 2048);
        assertEquals(0, r.status());
        assertArrayEquals(data, r.data());
    }

    @Test
    void shouldSplitReadIntoC2hDataWithLastPdu() throws Exception
    {
        final int port = start(ram().withMaxC2hData(16 << 10));
        final ScriptedHost io = ioHost(port, false, false, 0, 0);
        final byte[] data = random(40 << 10, 4);
        assertEquals(0, io.write(1, 77, data, false).status());
        final Completion r = io.read(2, 77, 80);
        assertEquals(0, r.status());
        assertTrue(r.capsuleResp());
        assertEquals(3, r.c2h().size());
        final long[] offsets = {0, 16 << 10, 32 << 10};
        final long[] lengths = {16 << 10, 16 << 10, 8 << 10};
        for (int i = 0; i < 3; i++)
        {
            assertEquals(offsets[i], r.c2h().get(i).datao());
            assertEquals(lengths[i], r.c2h().get(i).datal());
            assertEquals(2 == i, r.c2h().get(i).last());
            assertFalse(r.c2h().get(i).success());
        }
        assertArrayEquals(data, r.data());
    }

    @Test
    void shouldEndReadsWithSuccessFlagAndNoCapsuleResp() throws Exception
    {
        final int port = start(ram().withSuccessFlag(true).withMaxC2hData(64 << 10));
        final ScriptedHost io = ioHost(port, true, true, 0, NvmeTcp.CATTR_SQ_FLOW_CONTROL_DISABLED);
        final byte[] data = random(128 << 10, 5);
        final Completion w = io.write(1, 0, data, false);
        assertEquals(0, w.status());
        assertTrue(w.capsuleResp(), "writes still answer with CapsuleResp");
        final Completion r = io.read(2, 0, 256);
        assertFalse(r.capsuleResp());
        assertEquals(2, r.c2h().size());
        assertEquals(NvmeTcp.FLAG_HDGSTF | NvmeTcp.FLAG_DDGSTF, r.c2h().get(0).flags());
        assertEquals(NvmeTcp.FLAG_HDGSTF | NvmeTcp.FLAG_DDGSTF | NvmeTcp.FLAG_LAST_PDU | NvmeTcp.FLAG_SUCCESS,
            r.c2h().get(1).flags());
        assertArrayEquals(data, r.data());
        // The next PDU on the stream belongs to the next command: no CapsuleResp for the read was sent.
        io.command(s -> s.command(NvmeTcp.OPC_FLUSH, 3, 1).sglTransport(0), null);
        final Pdu next = io.next();
        assertEquals(NvmeTcp.TYPE_CAPSULE_RESP, next.type());
        assertEquals(3, next.cid());
        assertEquals(0xFFFF, next.sqhd(), "SQ flow control disabled: SQHD FFFFh");
    }

    @Test
    void shouldFailOutOfRangeLbasAndWrongNamespace() throws Exception
    {
        final int port = start(ram());
        final ScriptedHost io = ioHost(port, false, false, 0, 0);
        final long blocks = SIZE / 512;
        final Completion last = io.read(1, blocks - 1, 1);
        assertEquals(0, last.status(), "the last block is readable");
        final Completion beyond = io.read(2, blocks - 1, 2);
        assertEquals(NvmeTcp.SCT_GENERIC, beyond.sct());
        assertEquals(NvmeTcp.SC_LBA_OUT_OF_RANGE, beyond.sc());
        assertTrue(beyond.c2h().isEmpty(), "no data for a failed read");
        final Completion write = io.write(3, blocks, new byte[512], true);
        assertEquals(NvmeTcp.SC_LBA_OUT_OF_RANGE, write.sc());
        final Completion huge = io.read(4, -1L, 1);
        assertEquals(NvmeTcp.SC_LBA_OUT_OF_RANGE, huge.sc());
        io.command(s -> s.writeRead(5, 2, 0, 0, 512), null);
        assertEquals(NvmeTcp.SC_INVALID_NAMESPACE, io.await(5, 512, null).sc());
        io.command(s -> s.writeRead(6, 1, 0, 0, 1024), null);
        assertEquals(NvmeTcp.SC_SGL_LENGTH_INVALID, io.await(6, 1024, null).sc());
        io.command(s -> s.command(NvmeTcp.OPC_FLUSH, 7, 1).sglTransport(0), null);
        assertEquals(0, io.await(7, 0, null).status());
        io.command(s -> s.command(0x09, 8, 1).sglTransport(0), null);
        assertEquals(NvmeTcp.SC_INVALID_OPCODE, io.await(8, 0, null).sc());
    }

    @Test
    void shouldServeNullBackendOfATebibyte() throws Exception
    {
        final int port = start(TargetConfig.defaults(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
            Backend.Kind.NULL, 1L << 40));
        assertTrue(log().contains("backend=null size=1T"), log());
        final ScriptedHost io = ioHost(port, false, false, 0, 0);
        assertEquals(0, io.write(1, (1L << 31) - 1, random(512, 6), true).status());
        final Completion r = io.read(2, (1L << 31) - 256, 256);
        assertEquals(0, r.status());
        assertArrayEquals(new byte[128 << 10], r.data(), "zeros");
    }

    // ---- errors and faults ----

    @Test
    void shouldCorruptDataDigestOfEveryNthC2hData() throws Exception
    {
        final int port = start(ram().withMaxC2hData(4096).withFault(TargetConfig.Fault.DATA_DIGEST, 2));
        final ScriptedHost io = ioHost(port, false, true, 0, 0);
        final byte[] data = random(16 << 10, 7);
        // 16 KiB does not fit the 8 KiB in-capsule limit: SGL Offset Invalid, as the Linux target answers.
        assertEquals(NvmeTcp.SC_SGL_OFFSET_INVALID, io.write(1, 8, data, true).sc());
        assertEquals(0, io.write(2, 8, data, false).status());
        final Completion r = io.read(3, 8, 32);
        assertEquals(4, r.c2h().size());
        assertTrue(r.c2h().get(0).digestOk());
        assertFalse(r.c2h().get(1).digestOk(), "2nd C2HData: digest spoiled");
        assertTrue(r.c2h().get(2).digestOk());
        assertFalse(r.c2h().get(3).digestOk(), "4th C2HData: digest spoiled");
        assertEquals(2, io.parser().dataDigestErrors());
        assertArrayEquals(data, r.data(), "only the digest is spoiled, not the data");
        assertFalse(io.parser().isFailed(), "a data digest error is not fatal");
    }

    @Test
    void shouldCorruptHeaderDigest() throws Exception
    {
        final int port = start(ram().withFault(TargetConfig.Fault.HEADER, 1));
        final ScriptedHost host = host(port);
        host.icReq(true, false, 0);
        host.command(s -> s.writeKeepAlive(1), null);
        assertNull(host.next());
        assertEquals(PduError.HEADER_DIGEST, host.malformed, host.malformedText);
    }

    @Test
    void shouldCorruptHeaderLengthWithoutDigests() throws Exception
    {
        final int port = start(ram().withFault(TargetConfig.Fault.HEADER, 1));
        final ScriptedHost host = host(port);
        host.icReq(false, false, 0);
        host.command(s -> s.writeKeepAlive(1), null);
        assertNull(host.next());
        assertEquals(PduError.BAD_HLEN, host.malformed, host.malformedText);
    }

    @Test
    void shouldTerminateOnHeaderDigestErrorFromHost() throws Exception
    {
        final ScriptedHost host = host(start(ram()));
        host.icReq(true, false, 0);
        final CapsuleCmdPdu cmd = new CapsuleCmdPdu().wrap(host.txMemory(), 0).writeHeader(true, false, 0, 0);
        cmd.sqe().writeKeepAlive(1);
        cmd.writeHeaderDigest(new Crc32c());
        final int good = Crc32c.get(host.txMemory(), NvmeTcp.HLEN_CAPSULE_CMD);
        Crc32c.put(host.txMemory(), NvmeTcp.HLEN_CAPSULE_CMD, good ^ 1);
        host.sendRaw(cmd.plen());
        final Pdu term = host.next();
        assertEquals(NvmeTcp.TYPE_C2H_TERM_REQ, term.type());
        assertEquals(NvmeTcp.FES_HEADER_DIGEST_ERROR, term.fes());
        assertEquals((good ^ 1) & 0xFFFF_FFFFL, term.fei(), "FEI = the HDGST received");
        assertEquals(NvmeTcp.HLEN_CAPSULE_CMD + 4, term.data().length, "the offending header as DATA");
        assertTrue(host.closedByTarget());
        waitForLog("(malformed PDU from the host: HDGST");
    }

    @Test
    void shouldFailCommandOnDataDigestErrorFromHost() throws Exception
    {
        final int port = start(ram());
        final ScriptedHost io = ioHost(port, false, true, 0, 0);
        assertEquals(0, io.write(2, 0, new byte[512], true).status(), "sanity: a good PDU");
        final CapsuleCmdPdu cmd = new CapsuleCmdPdu().wrap(io.txMemory(), 0).writeHeader(false, true, 0, 512);
        cmd.sqe().writeWrite(3, 1, 0, 0, 512, true);
        cmd.writeDataDigest(new Crc32c());
        final long at = cmd.plen() - 4;
        Crc32c.put(io.txMemory(), at, Crc32c.get(io.txMemory(), at) ^ 0x100);
        io.sendRaw(cmd.plen());
        final Completion failed = io.await(3, 0, null);
        assertEquals(NvmeTcp.SC_TRANSIENT_TRANSPORT_ERROR, failed.sc());
        assertEquals(0, io.write(4, 0, new byte[512], true).status(), "the connection goes on");
    }

    @Test
    void shouldLogConnectionsAndStopCleanly() throws Exception
    {
        final NvmeTargetServer server = new NvmeTargetServer(ram(), new PrintStream(logBytes, true,
            StandardCharsets.UTF_8));
        final int port = server.start();
        try (ScriptedHost host = new ScriptedHost(port))
        {
            host.adminQueue(NQN, false, false);
            waitForLog("nvme-target connection 1 from 127.0.0.1:");
            server.close();
            assertTrue(host.closedByTarget());
        }
        final String log = log();
        assertTrue(log.contains(" closed: qid=0 cntlid=1 commands=2 "), log);
        assertTrue(log.contains("(target stopped)"), log);
        assertTrue(log.endsWith("nvme-target stopped" + System.lineSeparator()), log);
        assertEquals(0, server.connectionCount());
    }

    private void waitForLog(final String text) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!log().contains(text))
        {
            if (System.nanoTime() > deadline)
            {
                throw new AssertionError("log never said '" + text + "': " + log());
            }
            Thread.sleep(10);
        }
    }
}
