package io.xts.protocol;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The layout of an XTS link protocol version 1 frame, as specified in {@code docs/PROTOCOL.md} ("The XTS link
 * protocol"): every offset, length, kind, flag, message type and reason code of the wire format, the big-endian
 * value layouts the flyweights read and write with, and the small static helpers the link needs around them (u32
 * serial-number arithmetic, 4-byte alignment). A frame is the 14-byte Ethernet II header (destination MAC, source
 * MAC, EtherType {@link #ETHERTYPE}), the 24-byte XTS header, then {@code payloadLength} bytes of payload.
 * <p>
 * Offsets of frame fields ({@code *_OFFSET} without a prefix) count from the first byte of the frame, Ethernet
 * header included, so {@code VERSION_OFFSET - HEADER_OFFSET} is the offset in the specification's header table.
 * Offsets of payload and message-body fields ({@code HELLO_*}, {@code RESET_*}, {@code MESSAGE_*},
 * {@code LINK_ERROR_*}, {@code STREAM_CREDIT_*}) count from the start of that payload or body. Messages are aligned
 * to {@link #MESSAGE_ALIGNMENT} relative to the start of the payload (which itself sits at frame offset 38).
 */
public final class XtsFrameDescriptor
{
    /** A big-endian, unaligned u16 (read as a Java {@code short}). */
    public static final ValueLayout.OfShort BIG_ENDIAN_SHORT =
        ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    /** A big-endian, unaligned u32 (read as a Java {@code int}). */
    public static final ValueLayout.OfInt BIG_ENDIAN_INT =
        ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    /** A big-endian, unaligned u64 (read as a Java {@code long}). */
    public static final ValueLayout.OfLong BIG_ENDIAN_LONG =
        ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    // ---------------------------------------------------------------------------------------------------------------
    // Ethernet II header
    // ---------------------------------------------------------------------------------------------------------------

    /** The IEEE local experimental EtherType every XTS frame carries. */
    public static final int ETHERTYPE = 0x88B5;

    /** Bytes of a MAC address. */
    public static final int MAC_LENGTH = 6;

    /** Offset of the destination MAC address. */
    public static final int DST_MAC_OFFSET = 0;

    /** Offset of the source MAC address. */
    public static final int SRC_MAC_OFFSET = 6;

    /** Offset of the u16 EtherType. */
    public static final int ETHERTYPE_OFFSET = 12;

    /** Bytes of the Ethernet II header. */
    public static final int ETHERNET_HEADER_LENGTH = 14;

    // ---------------------------------------------------------------------------------------------------------------
    // XTS frame header (offsets from the start of the frame)
    // ---------------------------------------------------------------------------------------------------------------

    /** Offset of the XTS header: right after the Ethernet header. */
    public static final int HEADER_OFFSET = ETHERNET_HEADER_LENGTH;

    /** Bytes of the XTS header. */
    public static final int HEADER_LENGTH = 24;

    /** Offset of the u8 protocol version. */
    public static final int VERSION_OFFSET = HEADER_OFFSET;

    /** Offset of the u8 frame kind. */
    public static final int KIND_OFFSET = HEADER_OFFSET + 1;

    /** Offset of the u16 flags. */
    public static final int FLAGS_OFFSET = HEADER_OFFSET + 2;

    /** Offset of the u16 payload length. */
    public static final int PAYLOAD_LENGTH_OFFSET = HEADER_OFFSET + 4;

    /** Offset of the reserved u16, written as 0 and ignored on receipt. */
    public static final int RESERVED_OFFSET = HEADER_OFFSET + 6;

    /** Offset of the u32 epoch of the sender. */
    public static final int EPOCH_OFFSET = HEADER_OFFSET + 8;

    /** Offset of the u32 sequence number. */
    public static final int SEQ_OFFSET = HEADER_OFFSET + 12;

    /** Offset of the u32 cumulative acknowledgement. */
    public static final int ACK_OFFSET = HEADER_OFFSET + 16;

    /** Offset of the u32 credit limit. */
    public static final int CREDIT_LIMIT_OFFSET = HEADER_OFFSET + 20;

    /** Bytes before the payload: Ethernet header plus XTS header (38). */
    public static final int FRAME_OVERHEAD = ETHERNET_HEADER_LENGTH + HEADER_LENGTH;

    /** Offset of the payload from the start of the frame. */
    public static final int PAYLOAD_OFFSET = FRAME_OVERHEAD;

    /** Largest payload the u16 {@code payloadLength} can describe. */
    public static final int MAX_PAYLOAD_LENGTH = 0xFFFF;

    /** The protocol version this code speaks. */
    public static final int VERSION = 1;

    /** Kind: handshake, payload is {@link #HELLO_LENGTH} bytes. */
    public static final int KIND_HELLO = 1;

    /** Kind: sequenced frame of messages. */
    public static final int KIND_DATA = 2;

    /** Kind: acknowledgement, credit update or heartbeat; no payload. */
    public static final int KIND_ACK = 3;

    /** Kind: the sender takes the link down; payload is a reason and a text. */
    public static final int KIND_RESET = 4;

    /** Flag of an ACK: its sender saw a gap and the peer should go back now. */
    public static final int FLAG_GAP = 1;

    /** Flag of a DATA frame: it is sent again. */
    public static final int FLAG_RETRANSMIT = 2;

    /** Flag of a HELLO frame: its sender considers the link up (a HELLO without it asks for a reply). */
    public static final int FLAG_UP = 4;

    /**
     * Flag of a HELLO or RESET frame: its payload ends in an authentication trailer (HELLO: u64 nonce, u64 echoed
     * nonce, 32-byte HMAC-SHA-256; RESET: u64 echoed nonce, 32-byte HMAC) over the XTS header and the payload before
     * the HMAC.
     */
    public static final int FLAG_AUTH = 8;

    /** Bytes a HELLO's authentication trailer adds: nonce, echoed nonce, HMAC. */
    public static final int HELLO_AUTH_LENGTH = 8 + 8 + 32;

    /** Bytes a RESET's authentication trailer adds: echoed nonce, HMAC. */
    public static final int RESET_AUTH_LENGTH = 8 + 32;

    // ---------------------------------------------------------------------------------------------------------------
    // HELLO payload (offsets from the start of the payload)
    // ---------------------------------------------------------------------------------------------------------------

    /** Offset of the u16 lowest version the sender speaks. */
    public static final int HELLO_MIN_VERSION_OFFSET = 0;

    /** Offset of the u16 highest version the sender speaks. */
    public static final int HELLO_MAX_VERSION_OFFSET = 2;

    /** Offset of the u32 epoch of the peer the sender has heard, 0 if none. */
    public static final int HELLO_PEER_EPOCH_OFFSET = 4;

    /** Offset of the u16 largest frame, Ethernet header included, the sender can receive. */
    public static final int HELLO_MAX_FRAME_SIZE_OFFSET = 8;

    /** Offset of the reserved u16, written as 0 and ignored on receipt. */
    public static final int HELLO_RESERVED_OFFSET = 10;

    /** Offset of the u32 DATA frames the peer may send before the first credit update. */
    public static final int HELLO_INITIAL_CREDITS_OFFSET = 12;

    /** Offset of the u32 heartbeat interval in microseconds. */
    public static final int HELLO_HEARTBEAT_INTERVAL_OFFSET = 16;

    /** Offset of the u32 dead-peer timeout in microseconds. */
    public static final int HELLO_DEAD_TIMEOUT_OFFSET = 20;

    /** Bytes of a HELLO payload. */
    public static final int HELLO_LENGTH = 24;

    /** Smallest {@code maxFrameSize} a valid HELLO announces: room for the headers and one empty message (46). */
    public static final int HELLO_MIN_FRAME_SIZE = FRAME_OVERHEAD + XtsFrameDescriptor.MESSAGE_HEADER_LENGTH;

    /** Largest control message body the protocol defines: an ERROR with the longest text (8 + 200 bytes). */
    public static final int MAX_CONTROL_MESSAGE_LENGTH =
        SocketMessages.ERROR_MIN_LENGTH + SocketMessages.ERROR_MAX_TEXT;

    /**
     * Smallest frame two ends may agree on (254): the headers and the largest control message. A link whose agreed
     * frame is smaller is refused at the handshake, since some message it must be able to send would never fit.
     */
    public static final int MIN_LINK_FRAME_SIZE =
        FRAME_OVERHEAD + XtsFrameDescriptor.MESSAGE_HEADER_LENGTH + MAX_CONTROL_MESSAGE_LENGTH;

    // ---------------------------------------------------------------------------------------------------------------
    // RESET payload (offsets from the start of the payload)
    // ---------------------------------------------------------------------------------------------------------------

    /** Offset of the u16 reason. */
    public static final int RESET_REASON_OFFSET = 0;

    /** Offset of the u16 length of the UTF-8 text. */
    public static final int RESET_TEXT_LENGTH_OFFSET = 2;

    /** Offset of the UTF-8 text. */
    public static final int RESET_TEXT_OFFSET = 4;

    /** Bytes of a RESET payload before its text. */
    public static final int RESET_HEADER_LENGTH = 4;

    /** RESET reason: the version ranges of the two sides do not overlap. */
    public static final int RESET_VERSION_MISMATCH = 1;

    /** RESET reason: the peer broke the protocol. */
    public static final int RESET_PROTOCOL_ERROR = 2;

    /** RESET reason: the sender is shutting down. */
    public static final int RESET_SHUTDOWN = 3;

    /** RESET reason: the sender needs HELLOs authenticated by the link's key, and this one was not. */
    public static final int RESET_AUTH_REQUIRED = 4;

    // ---------------------------------------------------------------------------------------------------------------
    // Messages in DATA payloads (offsets from the start of the message)
    // ---------------------------------------------------------------------------------------------------------------

    /** Offset of the u16 message type. */
    public static final int MESSAGE_TYPE_OFFSET = 0;

    /** Offset of the u16 length of the body. */
    public static final int MESSAGE_LENGTH_OFFSET = 2;

    /** Offset of the u32 stream id, 0 for link-level messages. */
    public static final int MESSAGE_STREAM_ID_OFFSET = 4;

    /** Bytes of a message header; the body follows. */
    public static final int MESSAGE_HEADER_LENGTH = 8;

    /** Messages start at multiples of this, relative to the start of the payload; bodies are zero-padded to it. */
    public static final int MESSAGE_ALIGNMENT = 4;

    /** Largest body the u16 message length can describe. */
    public static final int MAX_MESSAGE_LENGTH = 0xFFFF;

    /** Message type: a link-level error about a message received; body {@link #LINK_ERROR_LENGTH} bytes. */
    public static final int TYPE_LINK_ERROR = 0x0001;

    /** Message type: bytes of a stream, in order. */
    public static final int TYPE_STREAM_DATA = 0x0010;

    /** Message type: a stream's consumed position and window; body {@link #STREAM_CREDIT_LENGTH} bytes. */
    public static final int TYPE_STREAM_CREDIT = 0x0011;

    /** First type of the range reserved for socket operations. */
    public static final int TYPE_SOCKET_FIRST = 0x0100;

    /** Last type of the range reserved for socket operations. */
    public static final int TYPE_SOCKET_LAST = 0x01FF;

    /** Reserved socket operation: connect. */
    public static final int TYPE_SOCKET_CONNECT = 0x0100;

    /** Reserved socket operation: result of a connect. */
    public static final int TYPE_SOCKET_CONNECT_RESULT = 0x0101;

    /** Reserved socket operation: listen. */
    public static final int TYPE_SOCKET_LISTEN = 0x0102;

    /** Reserved socket operation: result of a listen. */
    public static final int TYPE_SOCKET_LISTEN_RESULT = 0x0103;

    /** Reserved socket operation: a connection was accepted. */
    public static final int TYPE_SOCKET_ACCEPTED = 0x0104;

    /** Reserved socket operation: data. */
    public static final int TYPE_SOCKET_DATA = 0x0105;

    /** Reserved socket operation: credit. */
    public static final int TYPE_SOCKET_CREDIT = 0x0106;

    /** Reserved socket operation: shutdown. */
    public static final int TYPE_SOCKET_SHUTDOWN = 0x0107;

    /** Reserved socket operation: close. */
    public static final int TYPE_SOCKET_CLOSE = 0x0108;

    /** Reserved socket operation: reset. */
    public static final int TYPE_SOCKET_RESET = 0x0109;

    /** Reserved socket operation: error (errno). */
    public static final int TYPE_SOCKET_ERROR = 0x010A;

    /** Reserved socket operation: set an option. */
    public static final int TYPE_SOCKET_SET_OPTION = 0x010B;

    /** Reserved socket operation: result of setting an option. */
    public static final int TYPE_SOCKET_OPTION_RESULT = 0x010C;

    /** First type of the range reserved for the NVMe/TCP upper-layer protocol offload. */
    public static final int TYPE_NVME_FIRST = 0x0200;

    /** Last type of the range reserved for the NVMe/TCP upper-layer protocol offload. */
    public static final int TYPE_NVME_LAST = 0x02FF;

    /** Reserved NVMe/TCP operation: push to the upper-layer protocol. */
    public static final int TYPE_NVME_ULP_PUSH = 0x0200;

    /** Reserved NVMe/TCP operation: result of a push. */
    public static final int TYPE_NVME_ULP_RESULT = 0x0201;

    /** Reserved NVMe/TCP operation: set up direct data placement. */
    public static final int TYPE_NVME_DDP_SETUP = 0x0202;

    /** Reserved NVMe/TCP operation: tear down direct data placement. */
    public static final int TYPE_NVME_DDP_TEARDOWN = 0x0203;

    /** Reserved NVMe/TCP operation: data placed directly. */
    public static final int TYPE_NVME_DDP_PLACE = 0x0204;

    /** Reserved NVMe/TCP operation: a PDU header. */
    public static final int TYPE_NVME_PDU_HEADER = 0x0205;

    /** Reserved NVMe/TCP operation: resynchronisation request. */
    public static final int TYPE_NVME_RESYNC_REQUEST = 0x0206;

    /** Reserved NVMe/TCP operation: resynchronisation response. */
    public static final int TYPE_NVME_RESYNC_RESPONSE = 0x0207;

    // ---------------------------------------------------------------------------------------------------------------
    // LINK_ERROR body (offsets from the start of the body)
    // ---------------------------------------------------------------------------------------------------------------

    /** Offset of the u16 type of the offending message. */
    public static final int LINK_ERROR_OFFENDING_TYPE_OFFSET = 0;

    /** Offset of the u16 reason. */
    public static final int LINK_ERROR_REASON_OFFSET = 2;

    /** Offset of the u32 stream id of the offending message. */
    public static final int LINK_ERROR_OFFENDING_STREAM_ID_OFFSET = 4;

    /** Bytes of a LINK_ERROR body. */
    public static final int LINK_ERROR_LENGTH = 8;

    /** LINK_ERROR reason: the message type is unknown. */
    public static final int LINK_ERROR_UNKNOWN_TYPE = 1;

    /** LINK_ERROR reason: the message body is malformed. */
    public static final int LINK_ERROR_MALFORMED = 2;

    /** LINK_ERROR reason: the stream id is unknown. */
    public static final int LINK_ERROR_UNKNOWN_STREAM = 3;

    // ---------------------------------------------------------------------------------------------------------------
    // STREAM_CREDIT body (offsets from the start of the body)
    // ---------------------------------------------------------------------------------------------------------------

    /** Offset of the u64 consumed position. */
    public static final int STREAM_CREDIT_POSITION_OFFSET = 0;

    /** Offset of the u32 window in bytes. */
    public static final int STREAM_CREDIT_WINDOW_OFFSET = 8;

    /** Bytes of a STREAM_CREDIT body. */
    public static final int STREAM_CREDIT_LENGTH = 12;

    private XtsFrameDescriptor()
    {
    }

    /**
     * @param kind a frame kind read from the wire.
     * @return whether it is one of HELLO, DATA, ACK, RESET.
     */
    public static boolean isKnownKind(final int kind)
    {
        return kind >= KIND_HELLO && kind <= KIND_RESET;
    }

    /**
     * @param kind a frame kind.
     * @return its name, or {@code "UNKNOWN"}; a constant string, nothing allocated.
     */
    public static String kindName(final int kind)
    {
        return switch (kind)
        {
            case KIND_HELLO -> "HELLO";
            case KIND_DATA -> "DATA";
            case KIND_ACK -> "ACK";
            case KIND_RESET -> "RESET";
            default -> "UNKNOWN";
        };
    }

    /**
     * @param type a message type.
     * @return whether it lies in the range reserved for socket operations.
     */
    public static boolean isSocketType(final int type)
    {
        return type >= TYPE_SOCKET_FIRST && type <= TYPE_SOCKET_LAST;
    }

    /**
     * @param type a message type.
     * @return whether it lies in the range reserved for the NVMe/TCP offload.
     */
    public static boolean isNvmeType(final int type)
    {
        return type >= TYPE_NVME_FIRST && type <= TYPE_NVME_LAST;
    }

    /**
     * @param length a non-negative length.
     * @return {@code length} rounded up to a multiple of {@link #MESSAGE_ALIGNMENT}.
     */
    public static int align(final int length)
    {
        return (length + (MESSAGE_ALIGNMENT - 1)) & -MESSAGE_ALIGNMENT;
    }

    /**
     * @param length bytes of a message body.
     * @return bytes the whole message takes in a payload: header, body and padding.
     */
    public static int messageFrameLength(final int length)
    {
        return align(MESSAGE_HEADER_LENGTH + length);
    }

    /**
     * Serial-number order of two u32 sequence numbers, as the specification defines it: {@code (int)(a - b) < 0}.
     * Correct across the wrap from 0xFFFFFFFF to 0 as long as the two are less than 2^31 apart; at exactly 2^31 apart
     * each is "before" the other.
     *
     * @param a a u32 sequence number.
     * @param b a u32 sequence number.
     * @return whether {@code a} comes before {@code b}.
     */
    public static boolean serialBefore(final int a, final int b)
    {
        return a - b < 0;
    }

    /**
     * @param a a u32 sequence number.
     * @param b a u32 sequence number.
     * @return whether {@code a} comes before {@code b} or equals it.
     */
    public static boolean serialBeforeOrEqual(final int a, final int b)
    {
        return a - b <= 0;
    }

    /**
     * @param a a u32 sequence number.
     * @param b a u32 sequence number.
     * @return whether {@code a} comes after {@code b}: {@code (int)(a - b) > 0}.
     */
    public static boolean serialAfter(final int a, final int b)
    {
        return a - b > 0;
    }

    /**
     * @param a a u32 sequence number.
     * @param b a u32 sequence number.
     * @return {@code b} when it comes after {@code a} ({@link #serialAfter}), else {@code a}: the later of the two.
     */
    public static int serialMax(final int a, final int b)
    {
        return serialAfter(b, a) ? b : a;
    }

    /**
     * @param from a u32 sequence number.
     * @param to   a u32 sequence number.
     * @return how far {@code to} is after {@code from}, negative when it is before: {@code (int)(to - from)}.
     */
    public static int serialDistance(final int from, final int to)
    {
        return to - from;
    }
}
