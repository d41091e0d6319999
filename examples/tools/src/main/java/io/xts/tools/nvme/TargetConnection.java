package io.xts.tools.nvme;

import io.xts.nvme.C2HDataPdu;
import io.xts.nvme.CapsuleRespPdu;
import io.xts.nvme.ConnectData;
import io.xts.nvme.Crc32c;
import io.xts.nvme.H2CDataPdu;
import io.xts.nvme.ICReqPdu;
import io.xts.nvme.ICRespPdu;
import io.xts.nvme.IdentifyController;
import io.xts.nvme.IdentifyNamespace;
import io.xts.nvme.PduError;
import io.xts.nvme.PduHandler;
import io.xts.nvme.PduHeader;
import io.xts.nvme.PduParser;
import io.xts.nvme.R2TPdu;
import io.xts.nvme.Sqe;
import io.xts.nvme.TermReqPdu;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.UUID;

import static io.xts.nvme.NvmeTcp.ADMIN_IN_CAPSULE_MAX;
import static io.xts.nvme.NvmeTcp.CNS_ACTIVE_NAMESPACES;
import static io.xts.nvme.NvmeTcp.CNS_CONTROLLER;
import static io.xts.nvme.NvmeTcp.CNS_NAMESPACE;
import static io.xts.nvme.NvmeTcp.CNS_NAMESPACE_DESCRIPTORS;
import static io.xts.nvme.NvmeTcp.CONNECT_DATA_LENGTH;
import static io.xts.nvme.NvmeTcp.DIGEST_LENGTH;
import static io.xts.nvme.NvmeTcp.FCTYPE_CONNECT;
import static io.xts.nvme.NvmeTcp.FCTYPE_PROPERTY_GET;
import static io.xts.nvme.NvmeTcp.FCTYPE_PROPERTY_SET;
import static io.xts.nvme.NvmeTcp.FES_DATA_LIMIT_EXCEEDED;
import static io.xts.nvme.NvmeTcp.FES_DATA_OUT_OF_RANGE;
import static io.xts.nvme.NvmeTcp.FES_INVALID_HEADER_FIELD;
import static io.xts.nvme.NvmeTcp.FES_SEQUENCE_ERROR;
import static io.xts.nvme.NvmeTcp.FES_UNSUPPORTED_PARAMETER;
import static io.xts.nvme.NvmeTcp.FID_NUMBER_OF_QUEUES;
import static io.xts.nvme.NvmeTcp.HLEN_24;
import static io.xts.nvme.NvmeTcp.HLEN_IC;
import static io.xts.nvme.NvmeTcp.IDENTIFY_DATA_LENGTH;
import static io.xts.nvme.NvmeTcp.LE_INT;
import static io.xts.nvme.NvmeTcp.MAX_PDA;
import static io.xts.nvme.NvmeTcp.OPC_ABORT;
import static io.xts.nvme.NvmeTcp.OPC_ASYNC_EVENT_REQUEST;
import static io.xts.nvme.NvmeTcp.OPC_FABRICS;
import static io.xts.nvme.NvmeTcp.OPC_FLUSH;
import static io.xts.nvme.NvmeTcp.OPC_GET_FEATURES;
import static io.xts.nvme.NvmeTcp.OPC_GET_LOG_PAGE;
import static io.xts.nvme.NvmeTcp.OPC_IDENTIFY;
import static io.xts.nvme.NvmeTcp.OPC_KEEP_ALIVE;
import static io.xts.nvme.NvmeTcp.OPC_READ;
import static io.xts.nvme.NvmeTcp.OPC_SET_FEATURES;
import static io.xts.nvme.NvmeTcp.OPC_WRITE;
import static io.xts.nvme.NvmeTcp.OPC_WRITE_ZEROES;
import static io.xts.nvme.NvmeTcp.PROP_SIZE_8;
import static io.xts.nvme.NvmeTcp.SCT_COMMAND_SPECIFIC;
import static io.xts.nvme.NvmeTcp.SCT_GENERIC;
import static io.xts.nvme.NvmeTcp.SC_COMMAND_SEQUENCE_ERROR;
import static io.xts.nvme.NvmeTcp.SC_CONNECT_CONTROLLER_BUSY;
import static io.xts.nvme.NvmeTcp.SC_CONNECT_INCOMPATIBLE_FORMAT;
import static io.xts.nvme.NvmeTcp.SC_CONNECT_INVALID_PARAMETERS;
import static io.xts.nvme.NvmeTcp.SC_INTERNAL_ERROR;
import static io.xts.nvme.NvmeTcp.SC_INVALID_FIELD;
import static io.xts.nvme.NvmeTcp.SC_INVALID_NAMESPACE;
import static io.xts.nvme.NvmeTcp.SC_INVALID_OPCODE;
import static io.xts.nvme.NvmeTcp.SC_INVALID_QUEUE_ID;
import static io.xts.nvme.NvmeTcp.SC_LBA_OUT_OF_RANGE;
import static io.xts.nvme.NvmeTcp.SC_SGL_LENGTH_INVALID;
import static io.xts.nvme.NvmeTcp.SC_SGL_OFFSET_INVALID;
import static io.xts.nvme.NvmeTcp.SC_SGL_TYPE_INVALID;
import static io.xts.nvme.NvmeTcp.SC_TRANSIENT_TRANSPORT_ERROR;
import static io.xts.nvme.NvmeTcp.SGL_IN_CAPSULE;
import static io.xts.nvme.NvmeTcp.SGL_TRANSPORT;
import static io.xts.nvme.NvmeTcp.SQE_LENGTH;
import static io.xts.nvme.NvmeTcp.TYPE_C2H_TERM_REQ;
import static io.xts.nvme.NvmeTcp.TYPE_CAPSULE_CMD;
import static io.xts.nvme.NvmeTcp.TYPE_H2C_DATA;
import static io.xts.nvme.NvmeTcp.TYPE_H2C_TERM_REQ;
import static io.xts.nvme.NvmeTcp.TYPE_IC_REQ;
import static io.xts.nvme.NvmeTcp.status;

/**
 * One TCP connection of the target: one queue (admin or I/O), served by one thread with blocking I/O. Bytes read go
 * through a {@link PduParser} (which checks every header, the header digests and the data digests); the handler
 * runs each command as its capsule completes and writes the answer before reading on, so PDUs leave in the order
 * the host's commands arrived. Read data is sent straight from the backend's memory (gathering write: header, data,
 * digest); H2CData is stored into the backend as it arrives. Nothing here is shared with other connections except
 * the backend and the controller.
 */
final class TargetConnection implements PduHandler, Runnable
{
    /** Largest data an admin command returns (Get Log Page). */
    static final int ADMIN_DATA_MAX = 64 << 10;
    /** MDTS: 2^13 minimum pages (4 KiB) = 32 MiB, the most a 16-bit NLB of 512-byte blocks can ask for. */
    static final int MDTS = 13;
    /** KAS in 100 ms units. */
    static final int KAS = 10;
    private static final int RX_SIZE = 256 << 10;
    private static final int TX_SIZE = 256;
    private static final int MAX_R2T_PER_COMMAND = 16;
    private static final int MAX_SQE_SIZE = TargetController.QUEUE_ENTRIES - 1;

    /** One write moved by R2T/H2CData; its index in the slots is its TTAG. */
    private static final class PendingWrite
    {
        final int ttag;
        boolean busy;
        int cid;
        long byteOffset;
        long length;
        long chunk;
        long received;
        long requested;
        int outstanding;
        boolean failed;

        PendingWrite(final int ttag)
        {
            this.ttag = ttag;
        }
    }

    private final NvmeTargetServer server;
    private final TargetConfig config;
    private final Backend backend;
    private final SocketChannel channel;
    private final long id;
    private final String peer;
    private final PduParser parser;

    private final ByteBuffer rx = ByteBuffer.allocateDirect(RX_SIZE);
    private final MemorySegment rxMemory = MemorySegment.ofBuffer(rx);
    private final ByteBuffer tx = ByteBuffer.allocateDirect(TX_SIZE);
    private final MemorySegment txMemory = MemorySegment.ofBuffer(tx);
    private final ByteBuffer ddgst = ByteBuffer.allocateDirect(DIGEST_LENGTH);
    private final MemorySegment ddgstMemory = MemorySegment.ofBuffer(ddgst);
    private final ByteBuffer[] gather = new ByteBuffer[3];
    private final Crc32c crc = new Crc32c();
    private final ICRespPdu icResp = new ICRespPdu().wrap(txMemory, 0);
    private final CapsuleRespPdu capsuleResp = new CapsuleRespPdu().wrap(txMemory, 0);
    private final C2HDataPdu c2hData = new C2HDataPdu().wrap(txMemory, 0);
    private final R2TPdu r2t = new R2TPdu().wrap(txMemory, 0);
    private final TermReqPdu termReq = new TermReqPdu().wrap(txMemory, 0);

    private final MemorySegment sqeMemory = MemorySegment.ofBuffer(ByteBuffer.allocateDirect(SQE_LENGTH));
    private final Sqe sqe = new Sqe().wrap(sqeMemory, 0);
    private final MemorySegment capsuleData;
    private final MemorySegment adminData = MemorySegment.ofBuffer(ByteBuffer.allocateDirect(ADMIN_DATA_MAX));
    private final IdentifyController identifyController = new IdentifyController();
    private final IdentifyNamespace identifyNamespace = new IdentifyNamespace();
    private final ConnectData connectData = new ConnectData();
    private final PendingWrite[] writes = new PendingWrite[TargetController.QUEUE_ENTRIES];

    private boolean headerDigest;
    private boolean dataDigest;
    private int hpda;
    private int maxR2t = 1;

    private int qid = -1;
    private TargetController controller;
    private int sqsize;
    private boolean sqFlowControlDisabled;
    private int sqhd;

    private long capsuleDataLength;
    private PendingWrite current;
    private long currentDatao;
    private long currentDatal;
    private int nextSlot;

    private long dataFaults;
    private long headerFaults;
    private volatile boolean aborted;
    private boolean fatal;
    private String endReason = "host closed the connection";

    private long commands;
    private long reads;
    private long readBytes;
    private long writesDone;
    private long writtenBytes;
    private long failedCommands;
    private long digestErrors;
    private long heldEvents;

    TargetConnection(final NvmeTargetServer server, final SocketChannel channel, final long id) throws IOException
    {
        this.server = server;
        this.config = server.config();
        this.backend = server.backend();
        this.channel = channel;
        this.id = id;
        final InetSocketAddress remote = (InetSocketAddress)channel.getRemoteAddress();
        this.peer = remote.getAddress().getHostAddress() + ":" + remote.getPort();
        final int staging = Math.max(ADMIN_IN_CAPSULE_MAX, config.inCapsule());
        this.capsuleData = MemorySegment.ofBuffer(ByteBuffer.allocateDirect(staging));
        this.parser = new PduParser(PduParser.Side.CONTROLLER, Math.max(staging, config.maxH2cData()), this);
        for (int i = 0; i < writes.length; i++)
        {
            writes[i] = new PendingWrite(i);
        }
    }

    long id()
    {
        return id;
    }

    /** Close the socket from another thread; the serving thread ends. */
    void abort()
    {
        aborted = true;
        try
        {
            channel.close();
        }
        catch (final IOException ignored)
        {
            // Ending anyway.
        }
    }

    @Override
    public void run()
    {
        server.log("nvme-target connection " + id + " from " + peer + " opened");
        try
        {
            while (!fatal)
            {
                rx.clear();
                final int n = channel.read(rx);
                if (n < 0)
                {
                    break;
                }
                parser.feed(rxMemory, 0, n);
            }
            if (fatal)
            {
                linger();
            }
        }
        catch (final IOException | UncheckedIOException ex)
        {
            endReason = aborted ? "target stopped" : "I/O error: " + ex.getMessage();
        }
        finally
        {
            if (null != controller)
            {
                if (0 == qid)
                {
                    server.removeController(controller);
                }
                else
                {
                    controller.detach(qid);
                }
            }
            try
            {
                channel.close();
            }
            catch (final IOException ignored)
            {
                // Closed.
            }
            server.log("nvme-target connection " + id + " from " + peer + " closed: qid=" + qid + " cntlid=" +
                (null == controller ? -1 : controller.cntlid()) + " commands=" + commands + " reads=" + reads +
                " read-bytes=" + readBytes + " writes=" + writesDone + " written-bytes=" + writtenBytes +
                " failed=" + failedCommands + " digest-errors=" + digestErrors + " (" + endReason + ")");
        }
    }

    /**
     * After a C2HTermReq: stop sending (FIN after the TermReq), then let the host close, as the specification asks,
     * reading and discarding for up to a second so that unread bytes do not turn our close into a reset.
     */
    private void linger() throws IOException
    {
        channel.shutdownOutput();
        channel.configureBlocking(false);
        final long deadline = System.nanoTime() + 1_000_000_000L;
        while (System.nanoTime() < deadline && !aborted)
        {
            rx.clear();
            final int n = channel.read(rx);
            if (n < 0)
            {
                return;
            }
            if (0 == n)
            {
                try
                {
                    Thread.sleep(5);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    // ---- PduHandler ----

    @Override
    public void onHeader(final PduHeader header)
    {
        if (fatal)
        {
            return;
        }
        switch (header.type())
        {
            case TYPE_CAPSULE_CMD ->
            {
                final Sqe received = parser.capsuleCmd().sqe();
                MemorySegment.copy(received.segment(), received.offset(), sqeMemory, 0, SQE_LENGTH);
                capsuleDataLength = header.dataLength();
            }
            case TYPE_H2C_DATA -> startH2cData(parser.h2cData());
            default ->
            {
                // ICReq and H2CTermReq are handled at their end.
            }
        }
    }

    @Override
    public void onData(final PduHeader header, final long dataOffset, final MemorySegment memory, final long offset,
        final int length)
    {
        if (fatal)
        {
            return;
        }
        final int type = header.type();
        if (TYPE_CAPSULE_CMD == type)
        {
            if (capsuleDataLength <= capsuleData.byteSize())
            {
                MemorySegment.copy(memory, offset, capsuleData, dataOffset, length);
            }
        }
        else if (TYPE_H2C_DATA == type && null != current && !current.failed)
        {
            backend.write(current.byteOffset + currentDatao + dataOffset, memory, offset, length);
        }
    }

    @Override
    public void onPduEnd(final PduHeader header, final boolean dataDigestOk)
    {
        if (fatal)
        {
            return;
        }
        if (!dataDigestOk)
        {
            digestErrors++;
        }
        switch (header.type())
        {
            case TYPE_IC_REQ -> initialize(parser.icReq());
            case TYPE_CAPSULE_CMD ->
            {
                commands++;
                if (qid >= 0)
                {
                    sqhd = sqhd >= sqsize ? 0 : sqhd + 1;
                }
                if (!dataDigestOk)
                {
                    // A data digest error is not a transport error: the command fails (NVMe/TCP 7.4.6.2).
                    respond(sqe.cid(), status(SCT_GENERIC, SC_TRANSIENT_TRANSPORT_ERROR, false));
                }
                else
                {
                    execute();
                }
            }
            case TYPE_H2C_DATA -> endH2cData(dataDigestOk);
            case TYPE_H2C_TERM_REQ ->
            {
                endReason = "H2CTermReq from the host, FES " + parser.termReq().fes() + " FEI " +
                    parser.termReq().fei();
                fatal = true;
            }
            default ->
            {
                // Nothing else reaches a controller.
            }
        }
    }

    @Override
    public void onMalformed(final PduError error, final String reason)
    {
        if (fatal)
        {
            return;
        }
        terminate(parser.errorFes(), parser.errorFei(), parser.headerBytes(), "malformed PDU from the host: " + reason);
    }

    private void terminate(final int fes, final long fei, final int headerBytes, final String why)
    {
        endReason = why;
        fatal = true;
        termReq.write(TYPE_C2H_TERM_REQ, fes, fei, parser.headerBuffer(), 0, headerBytes);
        send((int)termReq.plen());
    }

    // ---- initialization ----

    private void initialize(final ICReqPdu icReq)
    {
        if (0 != icReq.pfv())
        {
            terminate(FES_UNSUPPORTED_PARAMETER, ICReqPdu.PFV_OFFSET, HLEN_IC, "ICReq PFV " + icReq.pfv());
            return;
        }
        if (icReq.hpda() > MAX_PDA)
        {
            terminate(FES_INVALID_HEADER_FIELD, ICReqPdu.HPDA_OFFSET, HLEN_IC, "ICReq HPDA " + icReq.hpda());
            return;
        }
        headerDigest = icReq.headerDigest();
        dataDigest = icReq.dataDigest();
        hpda = icReq.hpda();
        maxR2t = (int)Math.min(icReq.maxR2t(), MAX_R2T_PER_COMMAND - 1) + 1;
        icResp.write(0, headerDigest, dataDigest, config.maxH2cData());
        send(HLEN_IC);
        parser.digests(headerDigest, dataDigest).receivePda(0);
    }

    // ---- commands ----

    private static int error(final int sc)
    {
        return status(SCT_GENERIC, sc, true);
    }

    private static int connectError(final int sc)
    {
        return status(SCT_COMMAND_SPECIFIC, sc, true);
    }

    private void execute()
    {
        final int cid = sqe.cid();
        if (capsuleDataLength > capsuleData.byteSize())
        {
            respond(cid, error(SC_SGL_OFFSET_INVALID));
            return;
        }
        if (qid < 0)
        {
            connect(cid);
            return;
        }
        if (0x40 != (sqe.flags() & 0xC3))
        {
            // PSDT must be 01b (SGL) and commands must not be fused.
            respond(cid, error(SC_INVALID_FIELD));
            return;
        }
        if (0 == qid)
        {
            admin(cid);
        }
        else
        {
            io(cid);
        }
    }

    private void connect(final int cid)
    {
        if (OPC_FABRICS != sqe.opcode() || FCTYPE_CONNECT != sqe.fctype())
        {
            respond(cid, error(SC_INVALID_OPCODE));
            return;
        }
        if (SGL_IN_CAPSULE != sqe.sglIdentifier() || CONNECT_DATA_LENGTH != sqe.sglLength() ||
            CONNECT_DATA_LENGTH != capsuleDataLength)
        {
            respond(cid, error(SC_INVALID_FIELD));
            return;
        }
        if (0 != sqe.connectRecfmt())
        {
            respond(cid, connectError(SC_CONNECT_INCOMPATIBLE_FORMAT));
            return;
        }
        final int q = sqe.connectQid();
        final int size = sqe.connectSqsize();
        if (0 == size || size > MAX_SQE_SIZE)
        {
            respond(cid, connectError(SC_CONNECT_INVALID_PARAMETERS), 44, 0);
            return;
        }
        connectData.wrap(capsuleData, 0);
        if (!config.nqn().equals(connectData.subNqn()))
        {
            respond(cid, connectError(SC_CONNECT_INVALID_PARAMETERS), 1 << 16 | ConnectData.SUBNQN_OFFSET, 0);
            return;
        }
        final String hostNqn = connectData.hostNqn();
        final TargetController c;
        if (0 == q)
        {
            c = server.createController(hostNqn, sqe.connectKato());
            if (null == c)
            {
                respond(cid, connectError(SC_CONNECT_CONTROLLER_BUSY));
                return;
            }
        }
        else
        {
            c = server.controller(connectData.cntlid());
            if (null == c)
            {
                respond(cid, connectError(SC_CONNECT_INVALID_PARAMETERS), 1 << 16 | ConnectData.CNTLID_OFFSET, 0);
                return;
            }
            if (!c.hostNqn().equals(hostNqn))
            {
                respond(cid, connectError(SC_CONNECT_INVALID_PARAMETERS), 1 << 16 | ConnectData.HOSTNQN_OFFSET, 0);
                return;
            }
            if (q > TargetController.MAX_IO_QUEUES)
            {
                respond(cid, connectError(SC_INVALID_QUEUE_ID));
                return;
            }
            if (!c.ready() || !c.attach(q))
            {
                respond(cid, error(SC_COMMAND_SEQUENCE_ERROR));
                return;
            }
        }
        controller = c;
        qid = q;
        sqsize = size;
        sqhd = 1;
        sqFlowControlDisabled = 0 != (sqe.connectCattr() & 0x04);
        respond(cid, 0, c.cntlid(), 0);
    }

    private void admin(final int cid)
    {
        switch (sqe.opcode())
        {
            case OPC_FABRICS -> fabrics(cid);
            case OPC_IDENTIFY -> identify(cid);
            case OPC_SET_FEATURES -> setFeatures(cid);
            case OPC_GET_FEATURES -> getFeatures(cid);
            case OPC_KEEP_ALIVE -> respond(cid, 0);
            case OPC_GET_LOG_PAGE -> getLogPage(cid);
            case OPC_ABORT -> respond(cid, 0, 1, 0);
            // Held until an event, which never comes: the host keeps one outstanding.
            case OPC_ASYNC_EVENT_REQUEST -> heldEvents++;
            default -> respond(cid, error(SC_INVALID_OPCODE));
        }
    }

    private void fabrics(final int cid)
    {
        final boolean eight = PROP_SIZE_8 == (sqe.propertyAttrib() & 0x7);
        switch (sqe.fctype())
        {
            case FCTYPE_PROPERTY_GET ->
            {
                final Long value = controller.propertyGet(sqe.propertyOffset(), eight);
                if (null == value)
                {
                    respond(cid, error(SC_INVALID_FIELD));
                }
                else
                {
                    respond(cid, 0, (int)(long)value, (int)(value >>> 32));
                }
            }
            case FCTYPE_PROPERTY_SET -> respond(cid,
                controller.propertySet(sqe.propertyOffset(), eight, sqe.propertyValue()) ? 0 : error(SC_INVALID_FIELD));
            case FCTYPE_CONNECT -> respond(cid, error(SC_COMMAND_SEQUENCE_ERROR));
            default -> respond(cid, error(SC_INVALID_OPCODE));
        }
    }

    private void identify(final int cid)
    {
        if (SGL_TRANSPORT != sqe.sglIdentifier())
        {
            respond(cid, error(SC_SGL_TYPE_INVALID));
            return;
        }
        final long length = Math.min(sqe.sglLength(), IDENTIFY_DATA_LENGTH);
        if (0 == length || 0 != capsuleDataLength)
        {
            respond(cid, error(SC_INVALID_FIELD));
            return;
        }
        final long nsid = sqe.nsid() & 0xFFFF_FFFFL;
        adminData.asSlice(0, IDENTIFY_DATA_LENGTH).fill((byte)0);
        switch (sqe.identifyCns())
        {
            case CNS_CONTROLLER -> fillIdentifyController();
            case CNS_NAMESPACE ->
            {
                if (1 != nsid)
                {
                    respond(cid, error(SC_INVALID_NAMESPACE));
                    return;
                }
                identifyNamespace.wrap(adminData, 0).nsze(config.blocks()).ncap(config.blocks())
                    .nuse(config.blocks()).nlbaf(0).flbas(0).lbaf(0, 0, 9, 0);
            }
            case CNS_ACTIVE_NAMESPACES ->
            {
                if (nsid >= 0xFFFF_FFFEL)
                {
                    respond(cid, error(SC_INVALID_NAMESPACE));
                    return;
                }
                if (nsid < 1)
                {
                    adminData.set(LE_INT, 0, 1);
                }
            }
            case CNS_NAMESPACE_DESCRIPTORS ->
            {
                if (1 != nsid)
                {
                    respond(cid, error(SC_INVALID_NAMESPACE));
                    return;
                }
                // One descriptor: NIDT 3 (UUID), NIDL 16, a UUID derived from the subsystem NQN.
                final UUID uuid = UUID.nameUUIDFromBytes((config.nqn() + "/ns1").getBytes(StandardCharsets.US_ASCII));
                adminData.set(ValueLayout.JAVA_BYTE, 0, (byte)3);
                adminData.set(ValueLayout.JAVA_BYTE, 1, (byte)16);
                adminData.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 4,
                    uuid.getMostSignificantBits());
                adminData.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 12,
                    uuid.getLeastSignificantBits());
            }
            default ->
            {
                respond(cid, error(SC_INVALID_FIELD));
                return;
            }
        }
        sendData(cid, adminData, length);
        respond(cid, 0);
    }

    private void fillIdentifyController()
    {
        final String serial = String.format("%016X", (long)config.nqn().hashCode() * 0x9E3779B97F4A7C15L);
        identifyController.wrap(adminData, 0)
            .serialNumber(serial.substring(0, 16))
            .modelNumber("XTS-J nvme-target " + config.backend().name().toLowerCase(Locale.ROOT))
            .firmwareRevision("0.1.0")
            .mdts(MDTS)
            .cntlid(controller.cntlid())
            .version(TargetController.VERSION)
            .ctratt(1)
            .controllerType(IdentifyController.CNTRLTYPE_IO)
            .kas(KAS)
            .sqes(0x66)
            .cqes(0x44)
            .maxcmd(TargetController.QUEUE_ENTRIES)
            .nn(1)
            .oncs(1 << 3)
            .vwc(0)
            .sgls(1 | 1 << 20)
            .subNqn(config.nqn())
            .ioccsz((SQE_LENGTH + config.inCapsule()) / 16)
            .iorcsz(1)
            .icdoff(0)
            .fabricsAttributes(0)
            .msdbd(1);
    }

    private void setFeatures(final int cid)
    {
        final int cdw11 = sqe.cdw11();
        switch (sqe.featureId())
        {
            case FID_NUMBER_OF_QUEUES ->
            {
                if (0xFFFF == (cdw11 & 0xFFFF) || 0xFFFF == cdw11 >>> 16)
                {
                    respond(cid, error(SC_INVALID_FIELD));
                }
                else
                {
                    respond(cid, 0, controller.setQueues(cdw11), 0);
                }
            }
            case 0x0F ->
            {
                controller.kato(cdw11 & 0xFFFF_FFFFL);
                respond(cid, 0);
            }
            case 0x0B -> respond(cid, 0);
            default -> respond(cid, error(SC_INVALID_FIELD));
        }
    }

    private void getFeatures(final int cid)
    {
        switch (sqe.featureId())
        {
            case FID_NUMBER_OF_QUEUES -> respond(cid, 0, controller.queuesGranted(), 0);
            case 0x0F -> respond(cid, 0, (int)controller.kato(), 0);
            case 0x0B -> respond(cid, 0);
            default -> respond(cid, error(SC_INVALID_FIELD));
        }
    }

    /** Any log page, all zeros: no errors, no SMART warnings, nothing changed. */
    private void getLogPage(final int cid)
    {
        if (SGL_TRANSPORT != sqe.sglIdentifier())
        {
            respond(cid, error(SC_SGL_TYPE_INVALID));
            return;
        }
        final long length = sqe.sglLength();
        if (0 == length || length > ADMIN_DATA_MAX)
        {
            respond(cid, error(SC_INVALID_FIELD));
            return;
        }
        adminData.asSlice(0, length).fill((byte)0);
        sendData(cid, adminData, length);
        respond(cid, 0);
    }

    private void io(final int cid)
    {
        switch (sqe.opcode())
        {
            case OPC_READ -> read(cid);
            case OPC_WRITE -> write(cid);
            case OPC_WRITE_ZEROES -> writeZeroes(cid);
            case OPC_FLUSH ->
            {
                final long nsid = sqe.nsid() & 0xFFFF_FFFFL;
                respond(cid, 1 == nsid || 0xFFFF_FFFFL == nsid ? 0 : error(SC_INVALID_NAMESPACE));
            }
            case OPC_FABRICS -> respond(cid,
                FCTYPE_CONNECT == sqe.fctype() ? error(SC_COMMAND_SEQUENCE_ERROR) : error(SC_INVALID_OPCODE));
            default -> respond(cid, error(SC_INVALID_OPCODE));
        }
    }

    /**
     * @return 0 when NSID is 1 and SLBA..SLBA+NLB lies in the namespace, else the status to answer.
     */
    private int checkRange()
    {
        if (1 != sqe.nsid())
        {
            return error(SC_INVALID_NAMESPACE);
        }
        final long slba = sqe.slba();
        final long blocks = sqe.nlb() + 1L;
        if (slba < 0 || slba > config.blocks() - blocks)
        {
            return error(SC_LBA_OUT_OF_RANGE);
        }
        return 0;
    }

    private void read(final int cid)
    {
        int status = checkRange();
        final long length = (sqe.nlb() + 1L) * TargetConfig.BLOCK_SIZE;
        if (0 == status)
        {
            if (SGL_IN_CAPSULE == sqe.sglIdentifier() || 0 != capsuleDataLength)
            {
                status = error(SC_INVALID_FIELD);
            }
            else if (SGL_TRANSPORT != sqe.sglIdentifier())
            {
                status = error(SC_SGL_TYPE_INVALID);
            }
            else if (sqe.sglLength() != length)
            {
                status = error(SC_SGL_LENGTH_INVALID);
            }
        }
        if (0 != status)
        {
            respond(cid, status);
            return;
        }
        final long base = sqe.slba() * TargetConfig.BLOCK_SIZE;
        final boolean success = config.successFlag();
        for (long at = 0; at < length; )
        {
            final long n = Math.min(config.maxC2hData(), length - at);
            final boolean last = at + n == length;
            sendC2hData(cid, at, backend.view(base + at, n), last, last && success);
            at += n;
        }
        reads++;
        readBytes += length;
        if (!success)
        {
            respond(cid, 0);
        }
    }

    private void write(final int cid)
    {
        int status = checkRange();
        final long length = (sqe.nlb() + 1L) * TargetConfig.BLOCK_SIZE;
        final int sgl = sqe.sglIdentifier();
        if (0 == status)
        {
            if (SGL_IN_CAPSULE == sgl)
            {
                if (0 != sqe.sglAddress() || capsuleDataLength > config.inCapsule())
                {
                    status = error(SC_SGL_OFFSET_INVALID);
                }
                else if (sqe.sglLength() != capsuleDataLength || capsuleDataLength != length)
                {
                    status = error(SC_SGL_LENGTH_INVALID);
                }
            }
            else if (SGL_TRANSPORT == sgl)
            {
                if (0 != capsuleDataLength)
                {
                    status = error(SC_INVALID_FIELD);
                }
                else if (sqe.sglLength() != length)
                {
                    status = error(SC_SGL_LENGTH_INVALID);
                }
            }
            else
            {
                status = error(SC_SGL_TYPE_INVALID);
            }
        }
        if (0 != status)
        {
            respond(cid, status);
            return;
        }
        final long base = sqe.slba() * TargetConfig.BLOCK_SIZE;
        if (SGL_IN_CAPSULE == sgl)
        {
            backend.write(base, capsuleData, 0, length);
            writesDone++;
            writtenBytes += length;
            respond(cid, 0);
            return;
        }
        final int ttag = freeSlot();
        if (ttag < 0)
        {
            respond(cid, status(SCT_GENERIC, SC_INTERNAL_ERROR, false));
            return;
        }
        final PendingWrite w = writes[ttag];
        w.busy = true;
        w.cid = cid;
        w.byteOffset = base;
        w.length = length;
        w.chunk = 0 == config.r2tSize() ? length : config.r2tSize();
        w.received = 0;
        w.requested = 0;
        w.outstanding = 0;
        w.failed = false;
        requestData(ttag, w);
    }

    private void writeZeroes(final int cid)
    {
        final int status = checkRange();
        if (0 == status)
        {
            backend.zero(sqe.slba() * TargetConfig.BLOCK_SIZE, (sqe.nlb() + 1L) * TargetConfig.BLOCK_SIZE);
        }
        respond(cid, status);
    }

    private int freeSlot()
    {
        for (int i = 0; i < writes.length; i++)
        {
            final int slot = (nextSlot + i) % writes.length;
            if (!writes[slot].busy)
            {
                nextSlot = (slot + 1) % writes.length;
                return slot;
            }
        }
        return -1;
    }

    /** Send R2Ts for the next chunks, keeping at most MAXR2T + 1 outstanding for the command. */
    private void requestData(final int ttag, final PendingWrite w)
    {
        while (w.outstanding < maxR2t && w.requested < w.length)
        {
            final long n = Math.min(w.chunk, w.length - w.requested);
            r2t.write(headerDigest, w.cid, ttag, w.requested, n).writeHeaderDigest(crc);
            faultHeader(HLEN_24);
            send(HLEN_24 + (headerDigest ? DIGEST_LENGTH : 0));
            w.requested += n;
            w.outstanding++;
        }
    }

    private void startH2cData(final H2CDataPdu h2c)
    {
        final int ttag = h2c.ttag();
        final int headerBytes = h2c.headerLengthWithDigest();
        final PendingWrite w = ttag < writes.length ? writes[ttag] : null;
        if (null == w || !w.busy)
        {
            terminate(FES_INVALID_HEADER_FIELD, 10, headerBytes, "H2CData for unknown TTAG " + ttag);
            return;
        }
        if (h2c.cccid() != w.cid)
        {
            terminate(FES_INVALID_HEADER_FIELD, 8, headerBytes, "H2CData CCCID " + h2c.cccid() + " for TTAG " + ttag +
                " of command " + w.cid);
            return;
        }
        final long datao = h2c.datao();
        final long datal = h2c.datal();
        if (datal > config.maxH2cData())
        {
            terminate(FES_DATA_LIMIT_EXCEEDED, 0, headerBytes, "H2CData DATAL " + datal + " beyond MAXH2CDATA " +
                config.maxH2cData());
            return;
        }
        final long r2tEnd = Math.min(w.length, (datao / w.chunk + 1) * w.chunk);
        if (datao >= w.requested || datao + datal > r2tEnd)
        {
            terminate(FES_DATA_OUT_OF_RANGE, 0, headerBytes, "H2CData " + datao + "+" + datal +
                " outside the R2Ts sent");
            return;
        }
        if (datao != w.received)
        {
            terminate(FES_SEQUENCE_ERROR, 0, headerBytes, "H2CData DATAO " + datao + ", expected " + w.received);
            return;
        }
        current = w;
        currentDatao = datao;
        currentDatal = datal;
    }

    private void endH2cData(final boolean dataDigestOk)
    {
        final PendingWrite w = current;
        current = null;
        if (null == w)
        {
            return;
        }
        if (!dataDigestOk)
        {
            w.failed = true;
        }
        w.received += currentDatal;
        final long r2tEnd = Math.min(w.length, ((w.received - 1) / w.chunk + 1) * w.chunk);
        if (w.received == r2tEnd)
        {
            w.outstanding--;
        }
        if (w.received == w.length)
        {
            w.busy = false;
            if (!w.failed)
            {
                writesDone++;
                writtenBytes += w.length;
            }
            respond(w.cid, w.failed ? status(SCT_GENERIC, SC_TRANSIENT_TRANSPORT_ERROR, false) : 0);
        }
        else
        {
            requestData(w.ttag, w);
        }
    }

    // ---- sending ----

    private void respond(final int cid, final int status)
    {
        respond(cid, status, 0, 0);
    }

    private void respond(final int cid, final int status, final int dw0, final int dw1)
    {
        if (0 != status)
        {
            failedCommands++;
        }
        capsuleResp.write(headerDigest, dw0, dw1, sqFlowControlDisabled ? 0xFFFF : sqhd, Math.max(qid, 0), cid,
            status).writeHeaderDigest(crc);
        faultHeader(HLEN_24);
        send(HLEN_24 + (headerDigest ? DIGEST_LENGTH : 0));
    }

    /** Send admin data (Identify, log pages) as C2HData PDUs of at most --max-c2h-data bytes. */
    private void sendData(final int cid, final MemorySegment data, final long length)
    {
        for (long at = 0; at < length; )
        {
            final long n = Math.min(config.maxC2hData(), length - at);
            sendC2hData(cid, at, data.asSlice(at, n), at + n == length, false);
            at += n;
        }
    }

    private void sendC2hData(final int cid, final long datao, final MemorySegment data, final boolean last,
        final boolean success)
    {
        final long n = data.byteSize();
        c2hData.write(headerDigest, dataDigest, hpda, cid, datao, n, last, success).writeHeaderDigest(crc);
        faultHeader(HLEN_24);
        final int pdo = c2hData.pdo();
        tx.clear().limit(pdo);
        gather[0] = tx;
        gather[1] = data.asByteBuffer();
        int buffers = 2;
        if (dataDigest)
        {
            int digest = crc.reset().update(data, 0, n).value();
            if (TargetConfig.Fault.DATA_DIGEST == config.fault() && 0 == ++dataFaults % config.faultEvery())
            {
                digest = ~digest;
            }
            ddgstMemory.set(LE_INT, 0, digest);
            ddgst.clear();
            gather[2] = ddgst;
            buffers = 3;
        }
        try
        {
            long left = pdo + n + (dataDigest ? DIGEST_LENGTH : 0);
            while (left > 0)
            {
                left -= channel.write(gather, 0, buffers);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        finally
        {
            gather[1] = null;
        }
    }

    /** --fault header: spoil every Nth header laid out in the transmit buffer (its HDGST, or its HLEN without). */
    private void faultHeader(final int hlen)
    {
        if (TargetConfig.Fault.HEADER == config.fault() && 0 == ++headerFaults % config.faultEvery())
        {
            final long at = headerDigest ? hlen : 2;
            txMemory.set(ValueLayout.JAVA_BYTE, at, (byte)(txMemory.get(ValueLayout.JAVA_BYTE, at) ^ 0x5A));
        }
    }

    private void send(final int length)
    {
        tx.clear().limit(length);
        try
        {
            while (tx.hasRemaining())
            {
                channel.write(tx);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
