package io.xts.protocol;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static io.xts.protocol.XtsFrameDescriptor.ETHERTYPE;
import static io.xts.protocol.XtsFrameDescriptor.FRAME_OVERHEAD;
import static io.xts.protocol.XtsFrameDescriptor.HELLO_LENGTH;
import static io.xts.protocol.XtsFrameDescriptor.HELLO_MIN_FRAME_SIZE;
import static io.xts.protocol.XtsFrameDescriptor.KIND_DATA;
import static io.xts.protocol.XtsFrameDescriptor.KIND_HELLO;
import static io.xts.protocol.XtsFrameDescriptor.KIND_RESET;
import static io.xts.protocol.XtsFrameDescriptor.MAX_PAYLOAD_LENGTH;
import static io.xts.protocol.XtsFrameDescriptor.RESET_HEADER_LENGTH;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_LINK_ERROR;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_STREAM_CREDIT;
import static io.xts.protocol.XtsFrameDescriptor.VERSION;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * What the fuzzer runs on each input, shared by the Jazzer fuzz test and the plain JUnit replay of its corpus:
 * the input bytes are one received frame in a segment of exactly their size, so any read outside
 * {@code [0, length)} throws {@link IndexOutOfBoundsException} and fails. It runs {@link FrameValidator}, the header
 * getters whenever the headers are there, {@link MessageReader} over every frame whether valid or not, the payload
 * flyweights where their bytes are present, and checks invariants: no exception; the verdict agrees with an
 * independent reading of the header in the specified order; a valid DATA frame reads without error and re-encodes
 * through {@link MessageWriter} into the same messages. Instances are reused across inputs and keep their scratch
 * memory.
 */
final class FrameFuzzTarget
{
    private final XtsFrameFlyweight frame = new XtsFrameFlyweight();
    private final HelloFlyweight hello = new HelloFlyweight();
    private final ResetFlyweight reset = new ResetFlyweight();
    private final LinkErrorFlyweight linkError = new LinkErrorFlyweight();
    private final StreamCreditFlyweight streamCredit = new StreamCreditFlyweight();
    private final MessageReader reader = new MessageReader();
    private final MessageReader copyReader = new MessageReader();
    private final MessageWriter writer = new MessageWriter();
    private final byte[] mac = new byte[XtsFrameDescriptor.MAC_LENGTH];
    private final MemorySegment scratch = MemorySegment.ofArray(new byte[FRAME_OVERHEAD + MAX_PAYLOAD_LENGTH]);
    private long sink;

    /**
     * Exercise the codecs on one input.
     *
     * @param input the bytes of one received frame.
     */
    void exercise(final byte[] input)
    {
        final MemorySegment segment = MemorySegment.ofArray(input);
        final int length = input.length;
        final MalformedReason reason = FrameValidator.validate(segment, 0, length);
        assertTrue(MalformedReason.BAD_SEQUENCE != reason && MalformedReason.STALE_EPOCH != reason, reason.name());

        final int messages = readMessages(segment, length);
        if (length < FRAME_OVERHEAD)
        {
            assertEquals(MalformedReason.TRUNCATED, reason);
            return;
        }
        readHeader(segment, length);
        assertEquals(expectedPrefixVerdict(length), prefixVerdict(reason));
        assertTrue(MalformedReason.BAD_HELLO != reason || KIND_HELLO == frame.kind());
        assertTrue(MalformedReason.TRUNCATED_MESSAGE != reason || KIND_DATA == frame.kind() ||
            KIND_RESET == frame.kind());
        readPayloads(segment, Math.min(frame.payloadLength(), length - FRAME_OVERHEAD));

        if (KIND_DATA == frame.kind() && MalformedReason.NONE == reason)
        {
            assertEquals(MalformedReason.NONE, reader.malformed());
            assertTrue(messages > 0);
            reencode(segment, messages);
        }
        else if (KIND_DATA == frame.kind() && MalformedReason.TRUNCATED_MESSAGE == reason)
        {
            assertTrue(MalformedReason.TRUNCATED_MESSAGE == reader.malformed() || 0 == messages);
        }
        else if (KIND_HELLO == frame.kind() && MalformedReason.NONE == reason)
        {
            assertTrue(frame.payloadLength() >= HELLO_LENGTH);
            assertTrue(hello.minVersion() <= hello.maxVersion());
            assertTrue(hello.maxFrameSize() >= HELLO_MIN_FRAME_SIZE);
        }
        else if (KIND_RESET == frame.kind() && MalformedReason.NONE == reason)
        {
            assertTrue(reset.textLength() <= frame.payloadLength() - RESET_HEADER_LENGTH);
        }
    }

    private int readMessages(final MemorySegment segment, final int length)
    {
        int count = 0;
        reader.wrap(segment, 0, length);
        while (reader.next())
        {
            count++;
            final long body = reader.bodyOffset();
            final int bodyLength = reader.length();
            assertTrue(body >= FRAME_OVERHEAD + XtsFrameDescriptor.MESSAGE_HEADER_LENGTH);
            assertTrue(body + bodyLength <= length);
            sink += reader.type() + reader.streamId();
            if (bodyLength > 0)
            {
                sink += segment.get(ValueLayout.JAVA_BYTE, body + bodyLength - 1);
            }
            if (TYPE_LINK_ERROR == reader.type() && linkError.wrap(segment, body, bodyLength).isComplete())
            {
                sink += linkError.offendingType() + linkError.reason() + linkError.offendingStreamId();
            }
            if (TYPE_STREAM_CREDIT == reader.type() && streamCredit.wrap(segment, body, bodyLength).isComplete())
            {
                sink += streamCredit.position() + streamCredit.window();
            }
        }
        return count;
    }

    private void readHeader(final MemorySegment segment, final int length)
    {
        frame.wrap(segment, 0, length);
        frame.copyDstMac(mac);
        frame.copySrcMac(mac);
        sink += frame.dstMac() + frame.srcMac() + frame.ethertype() + frame.version() + frame.kind() + frame.flags() +
            frame.payloadLength() + frame.epoch() + frame.seq() + frame.ack() + frame.creditLimit() +
            frame.payloadOffset() + frame.frameLength();
    }

    private void readPayloads(final MemorySegment segment, final int payloadLength)
    {
        final long payload = frame.payloadOffset();
        if (payloadLength >= HELLO_LENGTH)
        {
            hello.wrap(segment, payload, payloadLength);
            sink += hello.minVersion() + hello.maxVersion() + hello.peerEpoch() + hello.maxFrameSize() +
                hello.initialCredits() + hello.heartbeatIntervalMicros() + hello.deadTimeoutMicros();
        }
        reset.wrap(segment, payload, payloadLength);
        sink += reset.text().length();
        if (payloadLength >= RESET_HEADER_LENGTH)
        {
            sink += reset.reason() + reset.textLength();
        }
        copyReader.wrapPayload(segment, payload, payloadLength);
        while (copyReader.next())
        {
            sink += copyReader.length();
        }
    }

    private void reencode(final MemorySegment segment, final int messages)
    {
        final int payloadLength = frame.payloadLength();
        final int frameLength = FRAME_OVERHEAD + payloadLength;
        MemorySegment.copy(segment, 0, scratch, 0, FRAME_OVERHEAD);
        writer.wrap(scratch, 0, frameLength);
        reader.wrap(segment, 0, frameLength);
        while (reader.next())
        {
            if (!writer.append(reader.type(), reader.streamId(), segment, reader.bodyOffset(), reader.length()))
            {
                fail("a message of a valid frame does not fit the same frame when re-encoded");
            }
        }
        assertEquals(frameLength, writer.commit());
        assertEquals(messages, writer.messageCount());
        assertEquals(MalformedReason.NONE, FrameValidator.validate(scratch, 0, frameLength));

        reader.wrap(segment, 0, frameLength);
        copyReader.wrap(scratch, 0, frameLength);
        while (reader.next())
        {
            assertTrue(copyReader.next());
            assertEquals(reader.type(), copyReader.type());
            assertEquals(reader.streamId(), copyReader.streamId());
            assertEquals(reader.length(), copyReader.length());
            assertEquals(reader.bodyOffset(), copyReader.bodyOffset());
            final long body = reader.bodyOffset();
            assertEquals(-1, MemorySegment.mismatch(segment, body, body + reader.length(),
                scratch, body, body + reader.length()));
        }
        assertTrue(!copyReader.next() && MalformedReason.NONE == copyReader.malformed());
    }

    private MalformedReason expectedPrefixVerdict(final int length)
    {
        if (ETHERTYPE != frame.ethertype())
        {
            return MalformedReason.WRONG_ETHERTYPE;
        }
        if (VERSION != frame.version())
        {
            return MalformedReason.BAD_VERSION;
        }
        if (!XtsFrameDescriptor.isKnownKind(frame.kind()))
        {
            return MalformedReason.UNKNOWN_KIND;
        }
        if (frame.frameLength() > length)
        {
            return MalformedReason.LENGTH_PAST_FRAME;
        }
        return MalformedReason.NONE;
    }

    private static MalformedReason prefixVerdict(final MalformedReason reason)
    {
        return switch (reason)
        {
            case BAD_HELLO, TRUNCATED_MESSAGE -> MalformedReason.NONE;
            default -> reason;
        };
    }

    /**
     * @return a value depending on everything read, so that no read can be optimised away.
     */
    long sink()
    {
        return sink;
    }
}
