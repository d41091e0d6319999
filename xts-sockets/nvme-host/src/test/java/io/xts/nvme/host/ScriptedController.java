package io.xts.nvme.host;

import io.xts.nvme.C2HDataPdu;
import io.xts.nvme.CapsuleRespPdu;
import io.xts.nvme.ConnectData;
import io.xts.nvme.Crc32c;
import io.xts.nvme.ICReqPdu;
import io.xts.nvme.ICRespPdu;
import io.xts.nvme.IdentifyController;
import io.xts.nvme.IdentifyNamespace;
import io.xts.nvme.NvmeTcp;
import io.xts.nvme.PduError;
import io.xts.nvme.PduHandler;
import io.xts.nvme.PduHeader;
import io.xts.nvme.PduParser;
import io.xts.nvme.R2TPdu;
import io.xts.nvme.Sqe;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tiny scripted NVMe/TCP controller for the host tests, on 127.0.0.1 with one thread per connection, built from the
 * io.xts.nvme codecs: answers ICReq, Connect, Property Get/Set, Identify, Set Features, Keep Alive, and reads and
 * writes on a RAM namespace. Reads go out in {@link #c2hPieces} C2HData PDUs then a CapsuleResp; writes in the
 * capsule are stored at once; others get R2Ts (split in {@link #r2tPieces}) and H2CData. With {@link #batch} more
 * than 1, reads and in-capsule writes are held until that many are outstanding and then answered in reverse order
 * with their C2HData interleaved. Every command and the protocol violations it notices are recorded.
 */
final class ScriptedController implements AutoCloseable
{
    /** A command as received: its SQE bytes and in-capsule data. */
    record Command(int qid, byte[] sqe, byte[] data)
    {
        Sqe view()
        {
            return new Sqe().wrap(MemorySegment.ofArray(sqe), 0);
        }
    }

    static final int CNTLID = 0x0042;

    // Script, set before the host connects.
    volatile int maxH2cData = 8192;
    volatile int inCapsuleData = 4096;
    volatile int mqes = 127;
    volatile int blockSize = 512;
    volatile long blocks = 4096;
    volatile int c2hPieces = 2;
    volatile int r2tPieces = 1;
    volatile int batch = 1;
    volatile int cstsPollsBeforeReady = 1;
    volatile int maxQueues = 64;
    volatile long corruptDataDigestLba = -1;
    volatile long malformedLba = -1;
    volatile long headerDigestErrorLba = -1;
    volatile int statusForLba = 0;
    volatile long errorLba = -1;

    final MemorySegment disk;
    final List<Command> commands = new CopyOnWriteArrayList<>();
    final List<String> violations = new CopyOnWriteArrayList<>();
    final List<Long> propertySets = new CopyOnWriteArrayList<>();
    final AtomicInteger h2cPdus = new AtomicInteger();
    final List<Integer> termReqs = new CopyOnWriteArrayList<>();
    final AtomicInteger r2ts = new AtomicInteger();
    final AtomicInteger keepAlives = new AtomicInteger();
    volatile int maxOutstandingSeen;

    private final ServerSocketChannel server;
    private final Thread acceptor;
    private final List<SocketChannel> connections = new CopyOnWriteArrayList<>();
    private volatile boolean closed;
    private volatile long cc;
    private final AtomicInteger cstsPolls = new AtomicInteger();

    ScriptedController() throws IOException
    {
        disk = Arena.ofAuto().allocate(16L << 20, 4096);
        server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        acceptor = Thread.ofPlatform().daemon().name("scripted-controller accept").start(this::accept);
    }

    InetSocketAddress address() throws IOException
    {
        return (InetSocketAddress)server.getLocalAddress();
    }

    List<Command> commands(final int qid)
    {
        final List<Command> out = new ArrayList<>();
        for (final Command c : commands)
        {
            if (c.qid == qid)
            {
                out.add(c);
            }
        }
        return out;
    }

    private void accept()
    {
        while (!closed)
        {
            try
            {
                final SocketChannel ch = server.accept();
                connections.add(ch);
                Thread.ofPlatform().daemon().name("scripted-controller conn").start(() -> new Connection(ch).run());
            }
            catch (final IOException e)
            {
                return;
            }
        }
    }

    @Override
    public void close() throws IOException
    {
        closed = true;
        server.close();
        for (final SocketChannel ch : connections)
        {
            ch.close();
        }
    }

    /** One connection: a parser for what the host sends, and the answers. */
    private final class Connection implements PduHandler
    {
        private final SocketChannel ch;
        private final PduParser parser;
        private final ByteBuffer in = ByteBuffer.allocateDirect(64 * 1024);
        private final MemorySegment inSegment = MemorySegment.ofBuffer(in);
        private final ByteBuffer out = ByteBuffer.allocateDirect(1 << 20);
        private final MemorySegment outSegment = MemorySegment.ofBuffer(out);
        private final Crc32c crc = new Crc32c();
        private boolean hd;
        private boolean dd;
        private int qid = -1;
        // Current PDU.
        private byte[] sqe;
        private MemorySegment capsuleData;
        private Pending h2cTarget;
        // Writes awaiting H2CData, by CID.
        private final Map<Integer, Pending> writes = new HashMap<>();
        // Commands held for a batch.
        private final List<Pending> held = new ArrayList<>();
        private int outstanding;

        Connection(final SocketChannel ch)
        {
            this.ch = ch;
            parser = new PduParser(PduParser.Side.CONTROLLER, 1 << 20, this);
        }

        void run()
        {
            try
            {
                while (!closed)
                {
                    in.clear();
                    final int n = ch.read(in);
                    if (n < 0)
                    {
                        return;
                    }
                    parser.feed(inSegment, 0, n);
                    if (parser.isFailed())
                    {
                        violations.add("host sent a malformed PDU: " + parser.errorText());
                        return;
                    }
                }
            }
            catch (final IOException | RuntimeException e)
            {
                if (!closed && !(e instanceof IOException))
                {
                    violations.add("controller thread: " + e);
                }
            }
        }

        @Override
        public void onHeader(final PduHeader header)
        {
            switch (header.type())
            {
                case NvmeTcp.TYPE_CAPSULE_CMD ->
                {
                    sqe = new byte[64];
                    MemorySegment.copy(parser.capsuleCmd().sqe().segment(), ValueLayout.JAVA_BYTE,
                        parser.capsuleCmd().sqe().offset(), sqe, 0, 64);
                    final long n = header.dataLength();
                    capsuleData = n > 0 ? MemorySegment.ofArray(new byte[(int)n]) : null;
                }
                case NvmeTcp.TYPE_H2C_DATA ->
                {
                    h2cPdus.incrementAndGet();
                    final var h = parser.h2cData();
                    final Pending p = writes.get(h.cccid());
                    if (null == p)
                    {
                        violations.add("H2CData for unknown CID " + h.cccid());
                        h2cTarget = null;
                        return;
                    }
                    if (h.ttag() != p.ttag)
                    {
                        violations.add("H2CData TTAG " + h.ttag() + ", expected " + p.ttag);
                    }
                    if (h.datao() != p.received)
                    {
                        violations.add("H2CData DATAO " + h.datao() + ", expected " + p.received);
                    }
                    if (h.datal() > maxH2cData)
                    {
                        violations.add("H2CData DATAL " + h.datal() + " beyond MAXH2CDATA " + maxH2cData);
                    }
                    h2cTarget = p;
                }
                default ->
                {
                }
            }
        }

        @Override
        public void onData(final PduHeader header, final long dataOffset, final MemorySegment memory,
            final long offset, final int length)
        {
            if (NvmeTcp.TYPE_CAPSULE_CMD == header.type())
            {
                MemorySegment.copy(memory, offset, capsuleData, dataOffset, length);
            }
            else if (NvmeTcp.TYPE_H2C_DATA == header.type() && null != h2cTarget)
            {
                final long datao = parser.h2cData().datao();
                MemorySegment.copy(memory, offset, h2cTarget.data, datao + dataOffset, length);
            }
        }

        @Override
        public void onPduEnd(final PduHeader header, final boolean dataDigestOk)
        {
            if (!dataDigestOk)
            {
                violations.add("data digest error in " + header.typeName());
            }
            try
            {
                switch (header.type())
                {
                    case NvmeTcp.TYPE_IC_REQ -> icReq(parser.icReq());
                    case NvmeTcp.TYPE_CAPSULE_CMD -> command(sqe, capsuleData);
                    case NvmeTcp.TYPE_H2C_DATA -> h2cEnd(parser.h2cData().datal(), header.isLastPdu());
                    case NvmeTcp.TYPE_H2C_TERM_REQ -> termReqs.add(parser.termReq().fes());
                    default -> violations.add("unexpected " + header.typeName());
                }
            }
            catch (final IOException e)
            {
                throw new RuntimeException(e);
            }
        }

        @Override
        public void onMalformed(final PduError error, final String reason)
        {
            if (NvmeTcp.TYPE_H2C_TERM_REQ != parser.header().type())
            {
                violations.add("malformed from host: " + reason);
            }
        }

        private void icReq(final ICReqPdu req) throws IOException
        {
            if (0 != req.pfv() || 0 != req.hpda())
            {
                violations.add("ICReq PFV " + req.pfv() + " HPDA " + req.hpda());
            }
            hd = req.headerDigest();
            dd = req.dataDigest();
            new ICRespPdu().wrap(outSegment, 0).write(0, hd, dd, maxH2cData);
            send(ICRespPdu.LENGTH);
            parser.digests(hd, dd);
        }

        private void command(final byte[] bytes, final MemorySegment data) throws IOException
        {
            final Command c = new Command(qid, bytes, null == data ? null : data.toArray(ValueLayout.JAVA_BYTE));
            final Sqe s = c.view();
            if (0x40 != s.flags())
            {
                violations.add(String.format("SQE flags %02Xh for opcode %02Xh (PSDT must be 01b)", s.flags(),
                    s.opcode()));
            }
            if (s.isFabrics() && NvmeTcp.FCTYPE_CONNECT == s.fctype())
            {
                qid = s.connectQid();
                commands.add(new Command(qid, bytes, c.data()));
                final ConnectData cd = new ConnectData().wrap(data, 0);
                final int expect = 0 == qid ? NvmeTcp.CNTLID_DYNAMIC : CNTLID;
                if (cd.cntlid() != expect)
                {
                    respond(s.cid(), 0, NvmeTcp.status(1, NvmeTcp.SC_CONNECT_INVALID_PARAMETERS, true));
                    return;
                }
                respond(s.cid(), CNTLID, 0);
                return;
            }
            commands.add(c);
            if (s.isFabrics())
            {
                fabrics(s);
                return;
            }
            if (0 == qid)
            {
                adminCommand(s);
            }
            else
            {
                ioCommand(s, data);
            }
        }

        private void fabrics(final Sqe s) throws IOException
        {
            if (NvmeTcp.FCTYPE_PROPERTY_GET == s.fctype())
            {
                final long value = switch ((int)s.propertyOffset())
                {
                    // MQES, CQR, TO = 2 (1 s), CSS NVM.
                    case NvmeTcp.PROP_CAP -> mqes | 1L << 16 | 2L << 24 | 1L << 37;
                    case NvmeTcp.PROP_VS -> 0x0001_0400;
                    case NvmeTcp.PROP_CC -> cc;
                    case NvmeTcp.PROP_CSTS -> csts();
                    default -> 0;
                };
                respond(s.cid(), value, 0);
            }
            else if (NvmeTcp.FCTYPE_PROPERTY_SET == s.fctype())
            {
                propertySets.add(s.propertyValue());
                if (NvmeTcp.PROP_CC == s.propertyOffset())
                {
                    cc = s.propertyValue();
                }
                respond(s.cid(), 0, 0);
            }
            else
            {
                respond(s.cid(), 0, NvmeTcp.status(0, NvmeTcp.SC_INVALID_OPCODE, true));
            }
        }

        private long csts()
        {
            if (0 != (cc & (3 << 14)))
            {
                return 1 | 2 << 2; // shutdown complete
            }
            if (0 == (cc & 1))
            {
                return 0;
            }
            return cstsPolls.incrementAndGet() > cstsPollsBeforeReady ? 1 : 0;
        }

        private void adminCommand(final Sqe s) throws IOException
        {
            switch (s.opcode())
            {
                case NvmeTcp.OPC_IDENTIFY ->
                {
                    final MemorySegment id = MemorySegment.ofArray(new byte[4096]);
                    if (NvmeTcp.CNS_CONTROLLER == s.identifyCns())
                    {
                        new IdentifyController().wrap(id, 0).vid(0x1b36).serialNumber("XTS0001")
                            .modelNumber("scripted").firmwareRevision("1.0").cntlid(CNTLID).version(0x0001_0400)
                            .controllerType(IdentifyController.CNTRLTYPE_IO).kas(1).sqes(0x66).cqes(0x44)
                            .maxcmd(128).nn(1).sgls(1 | 1 << 20).ioccsz((64 + inCapsuleData) / 16).iorcsz(1)
                            .msdbd(1);
                    }
                    else if (NvmeTcp.CNS_NAMESPACE == s.identifyCns() && 1 == s.nsid())
                    {
                        new IdentifyNamespace().wrap(id, 0).nsze(blocks).ncap(blocks).nuse(blocks)
                            .lbaf(0, 0, Integer.numberOfTrailingZeros(blockSize), 0);
                    }
                    if (s.sglIdentifier() != NvmeTcp.SGL_TRANSPORT || 4096 != s.sglLength())
                    {
                        violations.add("Identify SGL " + s.sglIdentifier() + " length " + s.sglLength());
                    }
                    sendRead(s.cid(), id, 0, 4096, false);
                    respond(s.cid(), 0, 0);
                }
                case NvmeTcp.OPC_SET_FEATURES ->
                {
                    final int want = s.cdw11();
                    final int n = Math.min(maxQueues - 1, want & 0xFFFF);
                    respond(s.cid(), n | (long)n << 16, 0);
                }
                case NvmeTcp.OPC_KEEP_ALIVE ->
                {
                    keepAlives.incrementAndGet();
                    respond(s.cid(), 0, 0);
                }
                default -> respond(s.cid(), 0, NvmeTcp.status(0, NvmeTcp.SC_INVALID_OPCODE, true));
            }
        }

        private void ioCommand(final Sqe s, final MemorySegment data) throws IOException
        {
            final long length = (long)(s.nlb() + 1) * blockSize;
            if (s.sglLength() != length)
            {
                violations.add("SGL length " + s.sglLength() + " for " + length + " bytes");
            }
            final long at = s.slba() * blockSize;
            final Pending p = new Pending(s.cid(), s.opcode(), s.slba(), at, length);
            outstanding++;
            maxOutstandingSeen = Math.max(maxOutstandingSeen, outstanding);
            if (NvmeTcp.OPC_READ == s.opcode())
            {
                if (NvmeTcp.SGL_TRANSPORT != s.sglIdentifier())
                {
                    violations.add("read SGL " + s.sglIdentifier());
                }
                hold(p);
            }
            else if (NvmeTcp.OPC_WRITE == s.opcode())
            {
                if (NvmeTcp.SGL_IN_CAPSULE == s.sglIdentifier())
                {
                    if (null == data || data.byteSize() != length || length > inCapsuleData)
                    {
                        violations.add("in-capsule write of " + (null == data ? 0 : data.byteSize()) + " bytes");
                    }
                    p.data = data;
                    hold(p);
                }
                else
                {
                    if (NvmeTcp.SGL_TRANSPORT != s.sglIdentifier() || null != data)
                    {
                        violations.add("R2T write SGL " + s.sglIdentifier());
                    }
                    p.data = MemorySegment.ofArray(new byte[(int)length]);
                    p.ttag = 0x100 + (s.cid() & 0xFF);
                    writes.put(s.cid(), p);
                    nextR2T(p);
                }
            }
            else
            {
                outstanding--;
                respond(s.cid(), 0, NvmeTcp.status(0, NvmeTcp.SC_INVALID_OPCODE, true));
            }
        }

        private void nextR2T(final Pending p) throws IOException
        {
            final long piece = Math.max(4, (p.length / r2tPieces) & ~3L);
            final long n = Math.min(piece, p.length - p.received);
            p.r2tEnd = p.received + n;
            r2ts.incrementAndGet();
            final R2TPdu r2t = new R2TPdu().wrap(outSegment, 0).write(hd, p.cid, p.ttag, p.received, n);
            r2t.writeHeaderDigest(crc);
            send((int)r2t.plen());
        }

        private void h2cEnd(final long datal, final boolean last) throws IOException
        {
            final Pending p = h2cTarget;
            h2cTarget = null;
            if (null == p)
            {
                return;
            }
            p.received += datal;
            if (p.received == p.r2tEnd)
            {
                if (!last)
                {
                    violations.add("last H2CData of an R2T without LAST_PDU");
                }
                if (p.received < p.length)
                {
                    nextR2T(p);
                }
                else
                {
                    writes.remove(p.cid);
                    hold(p);
                }
            }
            else if (last)
            {
                violations.add("LAST_PDU before the end of the R2T");
            }
        }

        private void hold(final Pending p) throws IOException
        {
            held.add(p);
            if (held.size() < batch)
            {
                return;
            }
            final List<Pending> now = new ArrayList<>(held);
            held.clear();
            Collections.reverse(now);
            // Reads: C2HData of all held reads interleaved piece by piece, then the responses, in reverse order.
            int pieces = 0;
            for (final Pending r : now)
            {
                if (NvmeTcp.OPC_READ == r.opcode && r.lba != malformedLba && r.lba != errorLba)
                {
                    pieces = Math.max(pieces, c2hPieces);
                }
            }
            for (int k = 0; k < pieces; k++)
            {
                for (final Pending r : now)
                {
                    if (NvmeTcp.OPC_READ == r.opcode && r.lba != malformedLba && r.lba != errorLba)
                    {
                        final long piece = (r.length / c2hPieces) & ~3L;
                        final long from = k * piece;
                        final long to = k == c2hPieces - 1 ? r.length : from + piece;
                        if (to > from)
                        {
                            sendC2H(r.cid, disk, r.diskOffset + from, from, to - from, k == c2hPieces - 1,
                                r.lba == corruptDataDigestLba && 0 == k);
                        }
                    }
                }
            }
            for (final Pending r : now)
            {
                outstanding--;
                if (NvmeTcp.OPC_WRITE == r.opcode)
                {
                    MemorySegment.copy(r.data, 0, disk, r.diskOffset, r.length);
                }
                if (r.lba == malformedLba)
                {
                    final CapsuleRespPdu resp = new CapsuleRespPdu().wrap(outSegment, 0)
                        .write(hd, 0, 0, 0, qid, r.cid, 0);
                    outSegment.set(ValueLayout.JAVA_BYTE, 2, (byte)20); // HLEN 20 instead of 24
                    send((int)resp.plen());
                }
                else if (r.lba == headerDigestErrorLba)
                {
                    final CapsuleRespPdu resp = new CapsuleRespPdu().wrap(outSegment, 0)
                        .write(hd, 0, 0, 0, qid, r.cid, 0);
                    resp.writeHeaderDigest(crc);
                    outSegment.set(ValueLayout.JAVA_BYTE, 24, (byte)(outSegment.get(ValueLayout.JAVA_BYTE, 24) ^ 1));
                    send((int)resp.plen());
                }
                else
                {
                    respond(r.cid, 0, r.lba == errorLba ? statusForLba : 0);
                }
            }
        }

        private void sendRead(final int cid, final MemorySegment src, final long srcOffset, final long length,
            final boolean corrupt) throws IOException
        {
            final long piece = (length / c2hPieces) & ~3L;
            for (int k = 0; k < c2hPieces; k++)
            {
                final long from = k * piece;
                final long to = k == c2hPieces - 1 ? length : from + piece;
                if (to > from)
                {
                    sendC2H(cid, src, srcOffset + from, from, to - from, k == c2hPieces - 1, corrupt && 0 == k);
                }
            }
        }

        private void sendC2H(final int cid, final MemorySegment src, final long srcOffset, final long datao,
            final long datal, final boolean last, final boolean corrupt) throws IOException
        {
            final C2HDataPdu c2h = new C2HDataPdu().wrap(outSegment, 0)
                .write(hd, dd, 0, cid, datao, datal, last, false);
            c2h.writeHeaderDigest(crc);
            MemorySegment.copy(src, srcOffset, outSegment, c2h.dataOffset(), datal);
            c2h.writeDataDigest(crc);
            if (corrupt)
            {
                final long at = c2h.dataOffset() + datal;
                outSegment.set(ValueLayout.JAVA_BYTE, at, (byte)(outSegment.get(ValueLayout.JAVA_BYTE, at) ^ 0x5A));
            }
            send((int)c2h.plen());
        }

        private void respond(final int cid, final long result, final int status) throws IOException
        {
            final CapsuleRespPdu resp = new CapsuleRespPdu().wrap(outSegment, 0)
                .write(hd, (int)result, (int)(result >>> 32), 0, Math.max(qid, 0), cid, status);
            resp.writeHeaderDigest(crc);
            send((int)resp.plen());
        }

        private void send(final int length) throws IOException
        {
            out.clear().limit(length);
            while (out.hasRemaining())
            {
                ch.write(out);
            }
        }
    }

    /** An I/O command being served. */
    private static final class Pending
    {
        final int cid;
        final int opcode;
        final long lba;
        final long diskOffset;
        final long length;
        MemorySegment data;
        int ttag;
        long received;
        long r2tEnd;

        Pending(final int cid, final int opcode, final long lba, final long diskOffset, final long length)
        {
            this.cid = cid;
            this.opcode = opcode;
            this.lba = lba;
            this.diskOffset = diskOffset;
            this.length = length;
        }
    }
}
