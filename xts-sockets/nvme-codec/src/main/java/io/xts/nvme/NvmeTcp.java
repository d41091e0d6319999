package io.xts.nvme;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The numbers of the NVMe/TCP transport and of the NVMe commands a host and a small target need (the NVMe/TCP and
 * NVMe base specifications have the layouts; {@code docs/PROTOCOL.md} summarises them): PDU type codes, FLAGS bits,
 * the fixed header length of each type, limits, TermReq fatal error status codes, SQE/CQE and SGL constants, Fabrics
 * command types, property offsets and the status codes in use. One place for the numbers, so the flyweights, the
 * parser, the host and the proxy cannot disagree. Everything on the wire is little endian, hence the layouts here.
 */
public final class NvmeTcp
{
    private NvmeTcp()
    {
    }

    // ---- byte order: every multi-byte field of a PDU, SQE, CQE and data structure is little endian ----

    /** u16 little endian, any alignment. */
    public static final ValueLayout.OfShort LE_SHORT =
        ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** u32 little endian, any alignment (FEI of a TermReq sits at offset 10). */
    public static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** u64 little endian, any alignment. */
    public static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    // ---- PDU types; bit 0 is the direction (0 host to controller, 1 controller to host) ----

    /** ICReq, host to controller. */
    public static final int TYPE_IC_REQ = 0x00;
    /** ICResp, controller to host. */
    public static final int TYPE_IC_RESP = 0x01;
    /** H2CTermReq, host to controller. */
    public static final int TYPE_H2C_TERM_REQ = 0x02;
    /** C2HTermReq, controller to host. */
    public static final int TYPE_C2H_TERM_REQ = 0x03;
    /** CapsuleCmd, host to controller. */
    public static final int TYPE_CAPSULE_CMD = 0x04;
    /** CapsuleResp, controller to host. */
    public static final int TYPE_CAPSULE_RESP = 0x05;
    /** H2CData, host to controller. */
    public static final int TYPE_H2C_DATA = 0x06;
    /** C2HData, controller to host. */
    public static final int TYPE_C2H_DATA = 0x07;
    /** R2T, controller to host. (08h is reserved.) */
    public static final int TYPE_R2T = 0x09;

    // ---- FLAGS ----

    /** HDGSTF: a header digest follows the header. */
    public static final int FLAG_HDGSTF = 0x01;
    /** DDGSTF: a data digest follows DATA. */
    public static final int FLAG_DDGSTF = 0x02;
    /** LAST_PDU: last H2CData for one R2T, or last C2HData of a command. */
    public static final int FLAG_LAST_PDU = 0x04;
    /** SUCCESS: C2HData only; the command succeeded and no CapsuleResp follows. Needs LAST_PDU. */
    public static final int FLAG_SUCCESS = 0x08;

    // ---- sizes ----

    /** Bytes of the common header. */
    public static final int CH_LENGTH = 8;
    /** Bytes of a header or data digest. */
    public static final int DIGEST_LENGTH = 4;
    /** HLEN (and PLEN) of ICReq and ICResp. */
    public static final int HLEN_IC = 128;
    /** HLEN of CapsuleCmd: CH + 64-byte SQE. */
    public static final int HLEN_CAPSULE_CMD = 72;
    /** HLEN of CapsuleResp, H2CData, C2HData, R2T and both TermReqs. */
    public static final int HLEN_24 = 24;
    /** The longest header (ICReq/ICResp). */
    public static final int MAX_HLEN = HLEN_IC;
    /** Bytes of an SQE. */
    public static final int SQE_LENGTH = 64;
    /** Bytes of a CQE. */
    public static final int CQE_LENGTH = 16;
    /** Most bytes of the offending header a TermReq carries as DATA. */
    public static final int TERM_REQ_MAX_DATA = 128;
    /** Largest TermReq PLEN (24 + 128); larger ones are ignored and the connection closed. */
    public static final int TERM_REQ_MAX_PLEN = HLEN_24 + TERM_REQ_MAX_DATA;
    /** Largest PDU data alignment code (0's based dwords): 31, i.e. 128 bytes. */
    public static final int MAX_PDA = 31;
    /** Smallest MAXH2CDATA a host accepts. */
    public static final int MIN_MAXH2CDATA = 4096;
    /** In-capsule data limit of admin and Fabrics commands. */
    public static final int ADMIN_IN_CAPSULE_MAX = 8192;
    /** Bytes of the Connect command's data. */
    public static final int CONNECT_DATA_LENGTH = 1024;
    /** Bytes of Identify data. */
    public static final int IDENTIFY_DATA_LENGTH = 4096;
    /** DGST bit of ICReq/ICResp: header digest. */
    public static final int DGST_HEADER = 0x01;
    /** DGST bit of ICReq/ICResp: data digest. */
    public static final int DGST_DATA = 0x02;
    /** IANA port of NVMe-oF I/O controllers. */
    public static final int PORT_IO = 4420;
    /** Default port of discovery controllers. */
    public static final int PORT_DISCOVERY = 8009;

    // ---- Fatal Error Status of H2CTermReq / C2HTermReq ----

    /** FES: Invalid PDU Header Field; FEI = byte offset of the (lowest) bad field. */
    public static final int FES_INVALID_HEADER_FIELD = 0x01;
    /** FES: PDU Sequence Error. */
    public static final int FES_SEQUENCE_ERROR = 0x02;
    /** FES: Header Digest Error; FEI = the digest received. */
    public static final int FES_HEADER_DIGEST_ERROR = 0x03;
    /** FES: Data Transfer Out of Range. */
    public static final int FES_DATA_OUT_OF_RANGE = 0x04;
    /** FES 05h in a C2HTermReq: Data Transfer Limit Exceeded (H2CData DATAL > MAXH2CDATA). */
    public static final int FES_DATA_LIMIT_EXCEEDED = 0x05;
    /** FES 05h in an H2CTermReq: R2T Limit Exceeded. */
    public static final int FES_R2T_LIMIT_EXCEEDED = 0x05;
    /** FES: Unsupported Parameter; FEI = byte offset of the (lowest) unsupported field. */
    public static final int FES_UNSUPPORTED_PARAMETER = 0x06;

    // ---- SQE ----

    /** SQE byte 1 with PSDT = 01b (SGL, MPTR one buffer) and no fuse: what every command on TCP carries. */
    public static final int SQE_FLAGS_PSDT_SGL = 0x40;
    /** SGL identifier: Data Block, sub type Offset: in-capsule data. */
    public static final int SGL_IN_CAPSULE = 0x01;
    /** SGL identifier: Transport SGL Data Block, transport specific: data moved by C2HData or R2T/H2CData. */
    public static final int SGL_TRANSPORT = 0x5A;
    /** SGL descriptor type: Data Block. */
    public static final int SGL_TYPE_DATA_BLOCK = 0x0;
    /** SGL descriptor type: Transport SGL Data Block. */
    public static final int SGL_TYPE_TRANSPORT_DATA_BLOCK = 0x5;

    /** Admin opcode: Get Log Page. */
    public static final int OPC_GET_LOG_PAGE = 0x02;
    /** Admin opcode: Identify. */
    public static final int OPC_IDENTIFY = 0x06;
    /** Admin opcode: Abort. */
    public static final int OPC_ABORT = 0x08;
    /** Admin opcode: Set Features. */
    public static final int OPC_SET_FEATURES = 0x09;
    /** Admin opcode: Get Features. */
    public static final int OPC_GET_FEATURES = 0x0A;
    /** Admin opcode: Asynchronous Event Request. */
    public static final int OPC_ASYNC_EVENT_REQUEST = 0x0C;
    /** Admin opcode: Keep Alive. */
    public static final int OPC_KEEP_ALIVE = 0x18;
    /** Opcode of every Fabrics command. */
    public static final int OPC_FABRICS = 0x7F;
    /** NVM opcode: Flush. */
    public static final int OPC_FLUSH = 0x00;
    /** NVM opcode: Write. */
    public static final int OPC_WRITE = 0x01;
    /** NVM opcode: Read. */
    public static final int OPC_READ = 0x02;
    /** NVM opcode: Write Zeroes. */
    public static final int OPC_WRITE_ZEROES = 0x08;
    /** NVM opcode: Dataset Management. */
    public static final int OPC_DATASET_MANAGEMENT = 0x09;

    /** Fabrics command type: Property Set. */
    public static final int FCTYPE_PROPERTY_SET = 0x00;
    /** Fabrics command type: Connect. */
    public static final int FCTYPE_CONNECT = 0x01;
    /** Fabrics command type: Property Get. */
    public static final int FCTYPE_PROPERTY_GET = 0x04;
    /** Fabrics command type: Authentication Send. */
    public static final int FCTYPE_AUTH_SEND = 0x05;
    /** Fabrics command type: Authentication Receive. */
    public static final int FCTYPE_AUTH_RECEIVE = 0x06;

    /** Connect CATTR bit 2: SQ flow control disabled (then C2HData may carry SUCCESS). */
    public static final int CATTR_SQ_FLOW_CONTROL_DISABLED = 0x04;
    /** CNTLID asked for in the admin Connect: any (dynamic controller). */
    public static final int CNTLID_DYNAMIC = 0xFFFF;

    /** Identify CNS: namespace. */
    public static final int CNS_NAMESPACE = 0x00;
    /** Identify CNS: controller. */
    public static final int CNS_CONTROLLER = 0x01;
    /** Identify CNS: active namespace ID list. */
    public static final int CNS_ACTIVE_NAMESPACES = 0x02;
    /** Identify CNS: namespace identification descriptors. */
    public static final int CNS_NAMESPACE_DESCRIPTORS = 0x03;
    /** Feature id: Number of Queues. */
    public static final int FID_NUMBER_OF_QUEUES = 0x07;

    // ---- controller properties (registers) ----

    /** Property CAP, 8 bytes. */
    public static final int PROP_CAP = 0x00;
    /** Property VS, 4 bytes. */
    public static final int PROP_VS = 0x08;
    /** Property CC, 4 bytes. */
    public static final int PROP_CC = 0x14;
    /** Property CSTS, 4 bytes. */
    public static final int PROP_CSTS = 0x1C;
    /** Property NSSR, 4 bytes. */
    public static final int PROP_NSSR = 0x20;
    /** Property Get/Set ATTRIB size code: 4 bytes. */
    public static final int PROP_SIZE_4 = 0;
    /** Property Get/Set ATTRIB size code: 8 bytes. */
    public static final int PROP_SIZE_8 = 1;

    // ---- status: SCT and SC (the CQE status field: P bit 0, SC 8:1, SCT 11:9, CRD 13:12, M 14, DNR 15) ----

    /** Status code type: generic. */
    public static final int SCT_GENERIC = 0;
    /** Status code type: command specific (Fabrics Connect errors). */
    public static final int SCT_COMMAND_SPECIFIC = 1;
    /** SC: Success. */
    public static final int SC_SUCCESS = 0x00;
    /** SC: Invalid Command Opcode. */
    public static final int SC_INVALID_OPCODE = 0x01;
    /** SC: Invalid Field in Command. */
    public static final int SC_INVALID_FIELD = 0x02;
    /** SC: Data Transfer Error. */
    public static final int SC_DATA_TRANSFER_ERROR = 0x04;
    /** SC: Internal Error. */
    public static final int SC_INTERNAL_ERROR = 0x06;
    /** SC: Invalid Namespace or Format. */
    public static final int SC_INVALID_NAMESPACE = 0x0B;
    /** SC: Command Sequence Error. */
    public static final int SC_COMMAND_SEQUENCE_ERROR = 0x0C;
    /** SC: Data SGL Length Invalid. */
    public static final int SC_SGL_LENGTH_INVALID = 0x0F;
    /** SC: SGL Descriptor Type Invalid. */
    public static final int SC_SGL_TYPE_INVALID = 0x11;
    /** SC: SGL Offset Invalid. */
    public static final int SC_SGL_OFFSET_INVALID = 0x16;
    /** SC: Keep Alive Timer Expired. */
    public static final int SC_KEEP_ALIVE_EXPIRED = 0x19;
    /** SC: Keep Alive Timeout Invalid. */
    public static final int SC_KEEP_ALIVE_INVALID = 0x1A;
    /** SC: Transient Transport Error (non-fatal transport errors fail commands with it). */
    public static final int SC_TRANSIENT_TRANSPORT_ERROR = 0x22;
    /** SC: LBA Out of Range. */
    public static final int SC_LBA_OUT_OF_RANGE = 0x80;
    /** SC: Capacity Exceeded. */
    public static final int SC_CAPACITY_EXCEEDED = 0x81;
    /** SC: Namespace Not Ready. */
    public static final int SC_NAMESPACE_NOT_READY = 0x82;
    /** SC (command specific): Invalid Queue Identifier. */
    public static final int SC_INVALID_QUEUE_ID = 0x01;
    /** SC (command specific): Invalid Queue Size. */
    public static final int SC_INVALID_QUEUE_SIZE = 0x02;
    /** SC (command specific): Connect Incompatible Format. */
    public static final int SC_CONNECT_INCOMPATIBLE_FORMAT = 0x80;
    /** SC (command specific): Connect Controller Busy. */
    public static final int SC_CONNECT_CONTROLLER_BUSY = 0x81;
    /** SC (command specific): Connect Invalid Parameters. */
    public static final int SC_CONNECT_INVALID_PARAMETERS = 0x82;
    /** SC (command specific): Connect Restart Discovery. */
    public static final int SC_CONNECT_RESTART_DISCOVERY = 0x83;
    /** SC (command specific): Connect Invalid Host. */
    public static final int SC_CONNECT_INVALID_HOST = 0x84;
    /** Status field bit: Do Not Retry. */
    public static final int STATUS_DNR = 0x8000;
    /** Status field bit: More. */
    public static final int STATUS_MORE = 0x4000;
    /** Status field bit: phase tag (no role on TCP: there is no CQ ring). */
    public static final int STATUS_PHASE = 0x0001;

    /**
     * @param sct status code type, 0..7.
     * @param sc  status code, 0..255.
     * @param dnr whether to set Do Not Retry.
     * @return the 16-bit CQE status field with phase 0.
     */
    public static int status(final int sct, final int sc, final boolean dnr)
    {
        return ((sct & 0x7) << 9) | ((sc & 0xFF) << 1) | (dnr ? STATUS_DNR : 0);
    }

    // ---- per-type facts ----

    /**
     * @param type a PDU-Type byte.
     * @return whether it is one of the nine defined types.
     */
    public static boolean isKnownType(final int type)
    {
        return type >= TYPE_IC_REQ && type <= TYPE_R2T && type != 0x08;
    }

    /**
     * @param type a PDU-Type byte.
     * @return whether it travels from controller to host (bit 0 set).
     */
    public static boolean isControllerToHost(final int type)
    {
        return 0 != (type & 1);
    }

    /**
     * @param type a known PDU type.
     * @return its fixed HLEN, or -1 for a reserved type.
     */
    public static int headerLength(final int type)
    {
        return switch (type)
        {
            case TYPE_IC_REQ, TYPE_IC_RESP -> HLEN_IC;
            case TYPE_CAPSULE_CMD -> HLEN_CAPSULE_CMD;
            case TYPE_H2C_TERM_REQ, TYPE_C2H_TERM_REQ, TYPE_CAPSULE_RESP, TYPE_H2C_DATA, TYPE_C2H_DATA, TYPE_R2T ->
                HLEN_24;
            default -> -1;
        };
    }

    /**
     * @param type a known PDU type.
     * @return the FLAGS bits that may be set in it; every other bit is reserved.
     */
    public static int validFlags(final int type)
    {
        return switch (type)
        {
            case TYPE_CAPSULE_CMD -> FLAG_HDGSTF | FLAG_DDGSTF;
            case TYPE_CAPSULE_RESP, TYPE_R2T -> FLAG_HDGSTF;
            case TYPE_H2C_DATA -> FLAG_HDGSTF | FLAG_DDGSTF | FLAG_LAST_PDU;
            case TYPE_C2H_DATA -> FLAG_HDGSTF | FLAG_DDGSTF | FLAG_LAST_PDU | FLAG_SUCCESS;
            default -> 0;
        };
    }

    /**
     * @param type a known PDU type.
     * @return whether it carries HDGST when header digests are on (all but ICReq, ICResp and the TermReqs).
     */
    public static boolean takesHeaderDigest(final int type)
    {
        return type >= TYPE_CAPSULE_CMD;
    }

    /**
     * @param type a known PDU type.
     * @return whether it can carry DATA covered by a data digest (CapsuleCmd, H2CData, C2HData).
     */
    public static boolean takesDataDigest(final int type)
    {
        return TYPE_CAPSULE_CMD == type || TYPE_H2C_DATA == type || TYPE_C2H_DATA == type;
    }

    /**
     * @param type a PDU-Type byte.
     * @return the type's name, for logs and error texts (a constant, no allocation).
     */
    public static String typeName(final int type)
    {
        return switch (type)
        {
            case TYPE_IC_REQ -> "ICReq";
            case TYPE_IC_RESP -> "ICResp";
            case TYPE_H2C_TERM_REQ -> "H2CTermReq";
            case TYPE_C2H_TERM_REQ -> "C2HTermReq";
            case TYPE_CAPSULE_CMD -> "CapsuleCmd";
            case TYPE_CAPSULE_RESP -> "CapsuleResp";
            case TYPE_H2C_DATA -> "H2CData";
            case TYPE_C2H_DATA -> "C2HData";
            case TYPE_R2T -> "R2T";
            default -> "reserved";
        };
    }

    // ---- PDO / PLEN arithmetic ----

    /**
     * @param pda a PDU data alignment code from ICReq (HPDA) or ICResp (CPDA), 0's based dwords, 0..31.
     * @return the alignment of DATA in bytes, 4..128.
     */
    public static int alignment(final int pda)
    {
        if (pda < 0 || pda > MAX_PDA)
        {
            throw new IllegalArgumentException("PDA " + pda + " outside 0.." + MAX_PDA);
        }
        return (pda + 1) * 4;
    }

    /**
     * The PDO of a PDU that carries data: the smallest multiple of the alignment that is at least HLEN plus the
     * header digest; the gap is PAD.
     *
     * @param hlen          the header length.
     * @param headerDigest  whether HDGST follows the header.
     * @param pda           the alignment code the receiver asked for (0's based dwords).
     * @return the data offset.
     */
    public static int dataOffset(final int hlen, final boolean headerDigest, final int pda)
    {
        final int align = alignment(pda);
        final int end = hlen + (headerDigest ? DIGEST_LENGTH : 0);
        return (end + align - 1) / align * align;
    }
}
