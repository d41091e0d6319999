package io.xts.protocol;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static io.xts.protocol.XtsFrameDescriptor.BIG_ENDIAN_SHORT;
import static io.xts.protocol.XtsFrameDescriptor.ETHERTYPE;
import static io.xts.protocol.XtsFrameDescriptor.ETHERTYPE_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.FRAME_OVERHEAD;
import static io.xts.protocol.XtsFrameDescriptor.HELLO_LENGTH;
import static io.xts.protocol.XtsFrameDescriptor.HELLO_MAX_FRAME_SIZE_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.HELLO_MAX_VERSION_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.HELLO_MIN_FRAME_SIZE;
import static io.xts.protocol.XtsFrameDescriptor.HELLO_MIN_VERSION_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.KIND_DATA;
import static io.xts.protocol.XtsFrameDescriptor.KIND_HELLO;
import static io.xts.protocol.XtsFrameDescriptor.KIND_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.KIND_RESET;
import static io.xts.protocol.XtsFrameDescriptor.PAYLOAD_LENGTH_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.PAYLOAD_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.RESET_HEADER_LENGTH;
import static io.xts.protocol.XtsFrameDescriptor.RESET_TEXT_LENGTH_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.VERSION;
import static io.xts.protocol.XtsFrameDescriptor.VERSION_OFFSET;

/**
 * The structural check every received frame passes before the link reads it: it decides, from the bytes alone,
 * whether the frame is a well-formed XTS version 1 frame, and if not which {@link MalformedReason} the link counts
 * it under. Checks run in a fixed order, each only after the bytes it reads are known to be inside the frame:
 * length of the headers, EtherType, version, kind, payload length against the frame, then the payload of the kind
 * (HELLO fields, the message framing of a DATA payload, the text length of a RESET). It never reads outside
 * {@code [offset, offset + length)}, never throws and allocates nothing. What needs link state (sequence against
 * the granted credit, epoch) is left to the link; so are message types and bodies, reserved fields and flags.
 */
public final class FrameValidator
{
    private FrameValidator()
    {
    }

    /**
     * Validate a received frame.
     *
     * @param segment memory holding the frame.
     * @param offset  offset of the frame's first byte (the Ethernet header) in {@code segment}.
     * @param length  bytes received, Ethernet header included; bytes past the payload (Ethernet padding) are
     *                ignored.
     * @return {@link MalformedReason#NONE} for a well-formed frame, else why it must be dropped. A range that
     * does not lie inside the segment counts as {@link MalformedReason#TRUNCATED}.
     */
    public static MalformedReason validate(final MemorySegment segment, final long offset, final int length)
    {
        if (length < FRAME_OVERHEAD || offset < 0 || offset > segment.byteSize() - length)
        {
            return MalformedReason.TRUNCATED;
        }
        if (ETHERTYPE != (segment.get(BIG_ENDIAN_SHORT, offset + ETHERTYPE_OFFSET) & 0xFFFF))
        {
            return MalformedReason.WRONG_ETHERTYPE;
        }
        if (VERSION != (segment.get(ValueLayout.JAVA_BYTE, offset + VERSION_OFFSET) & 0xFF))
        {
            return MalformedReason.BAD_VERSION;
        }
        final int kind = segment.get(ValueLayout.JAVA_BYTE, offset + KIND_OFFSET) & 0xFF;
        if (!XtsFrameDescriptor.isKnownKind(kind))
        {
            return MalformedReason.UNKNOWN_KIND;
        }
        final int payloadLength = segment.get(BIG_ENDIAN_SHORT, offset + PAYLOAD_LENGTH_OFFSET) & 0xFFFF;
        if (payloadLength > length - FRAME_OVERHEAD)
        {
            return MalformedReason.LENGTH_PAST_FRAME;
        }
        final long payload = offset + PAYLOAD_OFFSET;
        return switch (kind)
        {
            case KIND_HELLO -> validateHello(segment, payload, payloadLength);
            case KIND_DATA -> validateData(segment, payload, payloadLength);
            case KIND_RESET -> validateReset(segment, payload, payloadLength);
            default -> MalformedReason.NONE;
        };
    }

    private static MalformedReason validateHello(
        final MemorySegment segment, final long payload, final int payloadLength)
    {
        if (payloadLength < HELLO_LENGTH)
        {
            return MalformedReason.BAD_HELLO;
        }
        final int minVersion = segment.get(BIG_ENDIAN_SHORT, payload + HELLO_MIN_VERSION_OFFSET) & 0xFFFF;
        final int maxVersion = segment.get(BIG_ENDIAN_SHORT, payload + HELLO_MAX_VERSION_OFFSET) & 0xFFFF;
        final int maxFrameSize = segment.get(BIG_ENDIAN_SHORT, payload + HELLO_MAX_FRAME_SIZE_OFFSET) & 0xFFFF;
        if (minVersion > maxVersion || maxFrameSize < HELLO_MIN_FRAME_SIZE)
        {
            return MalformedReason.BAD_HELLO;
        }
        return MalformedReason.NONE;
    }

    private static MalformedReason validateData(
        final MemorySegment segment, final long payload, final int payloadLength)
    {
        return MessageReader.countMessages(segment, payload, payloadLength) > 0 ?
            MalformedReason.NONE : MalformedReason.TRUNCATED_MESSAGE;
    }

    private static MalformedReason validateReset(
        final MemorySegment segment, final long payload, final int payloadLength)
    {
        if (payloadLength < RESET_HEADER_LENGTH)
        {
            return MalformedReason.TRUNCATED_MESSAGE;
        }
        final int textLength = segment.get(BIG_ENDIAN_SHORT, payload + RESET_TEXT_LENGTH_OFFSET) & 0xFFFF;
        return textLength > payloadLength - RESET_HEADER_LENGTH ?
            MalformedReason.TRUNCATED_MESSAGE : MalformedReason.NONE;
    }
}
