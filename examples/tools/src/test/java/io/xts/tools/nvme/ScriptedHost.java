package io.xts.tools.nvme;

import io.xts.nvme.C2HDataPdu;
import io.xts.nvme.CapsuleCmdPdu;
import io.xts.nvme.CapsuleRespPdu;
import io.xts.nvme.ConnectData;
import io.xts.nvme.Crc32c;
import io.xts.nvme.H2CDataPdu;
import io.xts.nvme.ICReqPdu;
import io.xts.nvme.ICRespPdu;
import io.xts.nvme.NvmeTcp;
import io.xts.nvme.PduError;
import io.xts.nvme.PduHandler;
import io.xts.nvme.PduHeader;
import io.xts.nvme.PduParser;
import io.xts.nvme.R2TPdu;
import io.xts.nvme.Sqe;
import io.xts.nvme.TermReqPdu;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * A small NVMe/TCP host for the tests, written with the io.xts.nvme codecs over a plain blocking SocketChannel: it
 * sends exactly what a test scripts, and reads the target's stream through a {@link PduParser} (Side.HOST), which
 * checks every header and verifies the digests, so a test sees what a real host would.
 */
final class ScriptedHost implements AutoCloseable, PduHandler
{
    static final String HOST_NQN = "nqn.2014-08.org.nvmexpress:uuid:00000000-0000-0000-0000-000000000001";
    static final UUID HOST_ID = UUID.fromString("00000000-0000-0000-0000-000000000001");

    /** One PDU received, its fields copied. */
    record Pdu(int type, int flags, int cid, long datao, long datal, int ttag, int status, int dw0, int dw1, int sqhd,
        int sqid, boolean digestOk, byte[] data, int fes, long fei)
    {
        boolean last()
        {
            return 0 != (flags & NvmeTcp.FLAG_LAST_PDU);
        }

        boolean success()
        {
            return 0 != (flags & NvmeTcp.FLAG_SUCCESS);
        }
    }

    /** How a command ended, with what it moved. */
    record Completion(int status, int dw0, int dw1, boolean capsuleResp, byte[] data, List<Pdu> c2h, List<Pdu> r2t)
    {
        int sc()
        {
            return (status >>> 1) & 0xFF;
        }

        int sct()
        {
            return (status >>> 9) & 0x7;
        }
    }

    private final SocketChannel channel;
    private final PduParser parser = new PduParser(PduParser.Side.HOST, 64 << 20, this);
    private final ByteBuffer rx = ByteBuffer.allocateDirect(256 << 10);
    private final MemorySegment rxMemory = MemorySegment.ofBuffer(rx);
    private final ByteBuffer tx = ByteBuffer.allocateDirect(4 << 20);
    private final MemorySegment txMemory = MemorySegment.ofBuffer(tx);
    private final Crc32c crc = new Crc32c();
    private final ArrayDeque<Pdu> received = new ArrayDeque<>();
    private final MemorySegment headerCopy = MemorySegment.ofArray(new byte[256]);
    private byte[] data;

    boolean headerDigest;
    boolean dataDigest;
    long maxH2cData;
    int cpda;
    int icRespDgst;
    int icRespPfv;
    PduError malformed = PduError.NONE;
    String malformedText;
    boolean eof;

    ScriptedHost(final int port) throws IOException
    {
        channel = SocketChannel.open(new InetSocketAddress("127.0.0.1", port));
    }

    @Override
    public void close() throws IOException
    {
        channel.close();
    }

    PduParser parser()
    {
        return parser;
    }

    // ---- PduHandler ----

    @Override
    public void onHeader(final PduHeader header)
    {
        MemorySegment.copy(parser.headerBuffer(), 0, headerCopy, 0, header.headerLengthWithDigest());
        final long n = header.dataLength();
        data = n > 0 ? new byte[(int)n] : null;
    }

    @Override
    public void onData(final PduHeader header, final long dataOffset, final MemorySegment memory, final long offset,
        final int length)
    {
        MemorySegment.copy(memory, ValueLayout.JAVA_BYTE, offset, data, (int)dataOffset, length);
    }

    @Override
    public void onPduEnd(final PduHeader header, final boolean dataDigestOk)
    {
        final int type = header.type();
        final Pdu pdu = switch (type)
        {
            case NvmeTcp.TYPE_IC_RESP ->
            {
                final ICRespPdu r = parser.icResp();
                headerDigest = r.headerDigest();
                dataDigest = r.dataDigest();
                maxH2cData = r.maxH2cData();
                cpda = r.cpda();
                icRespDgst = r.dgst();
                icRespPfv = r.pfv();
                parser.digests(headerDigest, dataDigest);
                yield new Pdu(type, header.flags(), 0, 0, 0, 0, 0, 0, 0, 0, 0, true, null, 0, 0);
            }
            case NvmeTcp.TYPE_CAPSULE_RESP ->
            {
                final CapsuleRespPdu r = parser.capsuleResp();
                yield new Pdu(type, header.flags(), r.cqe().cid(), 0, 0, 0, r.cqe().status(), r.cqe().dw0(),
                    r.cqe().dw1(), r.cqe().sqhd(), r.cqe().sqid(), true, null, 0, 0);
            }
            case NvmeTcp.TYPE_C2H_DATA ->
            {
                final C2HDataPdu c = parser.c2hData();
                yield new Pdu(type, header.flags(), c.cccid(), c.datao(), c.datal(), 0, 0, 0, 0, 0, 0, dataDigestOk,
                    data, 0, 0);
            }
            case NvmeTcp.TYPE_R2T ->
            {
                final R2TPdu r = parser.r2t();
                yield new Pdu(type, header.flags(), r.cccid(), r.r2to(), r.r2tl(), r.ttag(), 0, 0, 0, 0, 0, true, null,
                    0, 0);
            }
            case NvmeTcp.TYPE_C2H_TERM_REQ ->
            {
                final TermReqPdu t = parser.termReq();
                yield new Pdu(type, header.flags(), 0, 0, 0, 0, 0, 0, 0, 0, 0, true, data, t.fes(), t.fei());
            }
            default -> throw new AssertionError("unexpected type " + type);
        };
        received.add(pdu);
    }

    @Override
    public void onMalformed(final PduError error, final String reason)
    {
        malformed = error;
        malformedText = reason;
    }

    // ---- receiving ----

    /**
     * @return the next PDU, or null at end of stream or once the stream is malformed.
     */
    Pdu next() throws IOException
    {
        while (received.isEmpty())
        {
            if (eof || parser.isFailed())
            {
                return null;
            }
            rx.clear();
            final int n = channel.read(rx);
            if (n < 0)
            {
                eof = true;
                return null;
            }
            parser.feed(rxMemory, 0, n);
        }
        return received.poll();
    }

    /** @return whether the target closed the connection (reads until end of stream, failing on any PDU). */
    boolean closedByTarget() throws IOException
    {
        final Pdu p = next();
        if (null != p)
        {
            throw new AssertionError("PDU after the end: " + p);
        }
        return eof;
    }

    // ---- sending ----

    private void send(final long length) throws IOException
    {
        tx.clear().limit((int)length);
        while (tx.hasRemaining())
        {
            channel.write(tx);
        }
    }

    /** Send raw bytes already laid out at the start of the transmit buffer. */
    void sendRaw(final long length) throws IOException
    {
        send(length);
    }

    MemorySegment txMemory()
    {
        return txMemory;
    }

    Pdu icReq(final boolean hd, final boolean dd, final int maxR2t) throws IOException
    {
        new ICReqPdu().wrap(txMemory, 0).write(0, hd, dd, maxR2t);
        send(NvmeTcp.HLEN_IC);
        return next();
    }

    /**
     * Send one CapsuleCmd.
     *
     * @param fill   writes the SQE.
     * @param inData in-capsule data, or null.
     * @return the PDU's length (the PDU stays in the transmit buffer until the next send).
     */
    long command(final Consumer<Sqe> fill, final byte[] inData) throws IOException
    {
        final int n = null == inData ? 0 : inData.length;
        final CapsuleCmdPdu cmd = new CapsuleCmdPdu().wrap(txMemory, 0).writeHeader(headerDigest, dataDigest, cpda, n);
        fill.accept(cmd.sqe());
        if (n > 0)
        {
            MemorySegment.copy(inData, 0, txMemory, ValueLayout.JAVA_BYTE, cmd.dataOffset(), n);
        }
        cmd.writeHeaderDigest(crc).writeDataDigest(crc);
        send(cmd.plen());
        return cmd.plen();
    }

    /**
     * Read PDUs until the command completes: a CapsuleResp with its CID, or a C2HData with SUCCESS. C2HData is placed
     * by DATAO; R2Ts are answered from {@code writeData} in H2CData PDUs of at most MAXH2CDATA bytes.
     */
    Completion await(final int cid, final int expectedData, final byte[] writeData) throws IOException
    {
        final byte[] buffer = new byte[expectedData];
        final List<Pdu> c2h = new ArrayList<>();
        final List<Pdu> r2ts = new ArrayList<>();
        while (true)
        {
            final Pdu p = next();
            if (null == p)
            {
                throw new AssertionError("stream ended before command " + cid + " completed: " +
                    (parser.isFailed() ? parser.errorText() : "end of stream"));
            }
            if (p.cid() != cid && NvmeTcp.TYPE_C2H_TERM_REQ != p.type())
            {
                throw new AssertionError("PDU for another command: " + p);
            }
            switch (p.type())
            {
                case NvmeTcp.TYPE_C2H_DATA ->
                {
                    System.arraycopy(p.data(), 0, buffer, (int)p.datao(), (int)p.datal());
                    c2h.add(p);
                    if (p.success())
                    {
                        return new Completion(0, 0, 0, false, buffer, c2h, r2ts);
                    }
                }
                case NvmeTcp.TYPE_R2T ->
                {
                    r2ts.add(p);
                    sendH2c(p, writeData);
                }
                case NvmeTcp.TYPE_CAPSULE_RESP ->
                {
                    return new Completion(p.status(), p.dw0(), p.dw1(), true, buffer, c2h, r2ts);
                }
                default -> throw new AssertionError("unexpected " + p);
            }
        }
    }

    private void sendH2c(final Pdu r2t, final byte[] writeData) throws IOException
    {
        final long end = r2t.datao() + r2t.datal();
        for (long at = r2t.datao(); at < end; )
        {
            final int n = (int)Math.min(maxH2cData, end - at);
            final H2CDataPdu h2c = new H2CDataPdu().wrap(txMemory, 0)
                .write(headerDigest, dataDigest, cpda, r2t.cid(), r2t.ttag(), at, n, at + n == end);
            MemorySegment.copy(writeData, (int)at, txMemory, ValueLayout.JAVA_BYTE, h2c.dataOffset(), n);
            h2c.writeHeaderDigest(crc).writeDataDigest(crc);
            send(h2c.plen());
            at += n;
        }
    }

    // ---- scripted commands ----

    Completion connect(final int cid, final int qid, final int cntlid, final String subNqn, final int cattr)
        throws IOException
    {
        final byte[] connectData = new byte[NvmeTcp.CONNECT_DATA_LENGTH];
        new ConnectData().wrap(MemorySegment.ofArray(connectData), 0).write(HOST_ID, cntlid, subNqn, HOST_NQN);
        command(s -> s.writeConnect(cid, qid, 127, cattr, 0 == qid ? 5000 : 0), connectData);
        return await(cid, 0, null);
    }

    Completion propertyGet(final int cid, final int offset, final boolean eight) throws IOException
    {
        command(s -> s.writePropertyGet(cid, offset, eight), null);
        return await(cid, 0, null);
    }

    Completion propertySet(final int cid, final int offset, final long value) throws IOException
    {
        command(s -> s.writePropertySet(cid, offset, false, value), null);
        return await(cid, 0, null);
    }

    Completion identify(final int cid, final int cns, final long nsid) throws IOException
    {
        command(s -> s.writeIdentify(cid, cns, nsid, 0), null);
        return await(cid, NvmeTcp.IDENTIFY_DATA_LENGTH, null);
    }

    Completion read(final int cid, final long slba, final int blocks) throws IOException
    {
        command(s -> s.writeRead(cid, 1, slba, blocks - 1, blocks * 512L), null);
        return await(cid, blocks * 512, null);
    }

    Completion write(final int cid, final long slba, final byte[] bytes, final boolean inCapsule) throws IOException
    {
        final int blocks = bytes.length / 512;
        command(s -> s.writeWrite(cid, 1, slba, blocks - 1, bytes.length, inCapsule), inCapsule ? bytes : null);
        return await(cid, 0, bytes);
    }

    /**
     * Bring up an admin queue: ICReq, Connect, CC.EN = 1.
     *
     * @return the CNTLID.
     */
    int adminQueue(final String nqn, final boolean hd, final boolean dd) throws IOException
    {
        icReq(hd, dd, 0);
        final Completion c = connect(1, 0, NvmeTcp.CNTLID_DYNAMIC, nqn, 0);
        if (0 != c.status())
        {
            throw new AssertionError("admin Connect failed: status " + Integer.toHexString(c.status()));
        }
        final Completion cc = propertySet(2, NvmeTcp.PROP_CC, 0x0046_0001);
        if (0 != cc.status())
        {
            throw new AssertionError("Property Set CC failed");
        }
        return c.dw0();
    }

    /** Bring up an I/O queue of an enabled controller. */
    void ioQueue(
        final String nqn, final int cntlid, final int qid, final boolean hd, final boolean dd, final int maxR2t,
        final int cattr) throws IOException
    {
        icReq(hd, dd, maxR2t);
        final Completion c = connect(1, qid, cntlid, nqn, cattr);
        if (0 != c.status())
        {
            throw new AssertionError("I/O Connect failed: status " + Integer.toHexString(c.status()));
        }
    }
}
