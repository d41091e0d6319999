package io.xts.protocol;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static io.xts.protocol.XtsFrameDescriptor.ETHERTYPE_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.FRAME_OVERHEAD;
import static io.xts.protocol.XtsFrameDescriptor.HELLO_MAX_FRAME_SIZE_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.HELLO_MIN_VERSION_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.KIND_DATA;
import static io.xts.protocol.XtsFrameDescriptor.KIND_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.LINK_ERROR_UNKNOWN_TYPE;
import static io.xts.protocol.XtsFrameDescriptor.PAYLOAD_LENGTH_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.RESET_SHUTDOWN;
import static io.xts.protocol.XtsFrameDescriptor.RESET_TEXT_LENGTH_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.RESET_VERSION_MISMATCH;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_LINK_ERROR;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_CONNECT;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_STREAM_CREDIT;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_STREAM_DATA;
import static io.xts.protocol.XtsFrameDescriptor.VERSION_OFFSET;

/**
 * The seed corpus of {@link FrameFuzzTest}: valid frames of every kind and variants broken in one way each, named
 * {@code <expected MalformedReason>-<what>} so that {@link FrameFuzzCorpusTest} can check each is classified as its
 * name says. The files under {@code src/test/resources/io/xts/protocol/FrameFuzzTestInputs/<method>/} are this
 * map written out by {@link #main}; the corpus test keeps the two in step.
 */
final class FrameFuzzSeeds
{
    /** Resource directory of the seeds, relative to the class path root. */
    static final String DIRECTORY =
        "io/xts/protocol/FrameFuzzTestInputs/" + FrameFuzzTest.METHOD;

    private FrameFuzzSeeds()
    {
    }

    /**
     * @return every seed by file name, in a fixed order.
     */
    static Map<String, byte[]> seeds()
    {
        final Map<String, byte[]> seeds = new LinkedHashMap<>();
        seeds.put("NONE-hello", TestFrames.hello());
        seeds.put("NONE-ack", TestFrames.ack());
        seeds.put("NONE-ack-ethernet-padding", TestFrames.resize(TestFrames.ack(), 60));
        seeds.put("NONE-reset", TestFrames.reset(RESET_VERSION_MISMATCH, "peer speaks versions 2..3, we speak 1..1"));
        seeds.put("NONE-data-mixed", mixedData());
        seeds.put("NONE-data-unpadded-last", unpaddedData());
        seeds.put("NONE-data-mtu", TestFrames.data(1000, 1000, 1000, 400, 30));
        seeds.put("TRUNCATED-header", TestFrames.resize(TestFrames.ack(), FRAME_OVERHEAD - 1));
        seeds.put("WRONG_ETHERTYPE-ipv4", TestFrames.putU16(TestFrames.data(4), ETHERTYPE_OFFSET, 0x0800));
        seeds.put("BAD_VERSION-2", TestFrames.putU8(TestFrames.data(4), VERSION_OFFSET, 2));
        seeds.put("UNKNOWN_KIND-5", TestFrames.putU8(TestFrames.data(4), KIND_OFFSET, 5));
        seeds.put("LENGTH_PAST_FRAME-data", TestFrames.putU16(TestFrames.data(4, 4), PAYLOAD_LENGTH_OFFSET, 25));
        seeds.put("TRUNCATED_MESSAGE-header", truncatedMessageHeader());
        seeds.put("TRUNCATED_MESSAGE-body", TestFrames.putU16(TestFrames.data(4, 8), FRAME_OVERHEAD + 14, 9));
        seeds.put("TRUNCATED_MESSAGE-empty-data", TestFrames.header(KIND_DATA, 0, FRAME_OVERHEAD));
        seeds.put("TRUNCATED_MESSAGE-reset-text", TestFrames.putU16(TestFrames.reset(RESET_SHUTDOWN, "bye"),
            FRAME_OVERHEAD + RESET_TEXT_LENGTH_OFFSET, 200));
        seeds.put("BAD_HELLO-short", TestFrames.putU16(TestFrames.hello(), PAYLOAD_LENGTH_OFFSET, 20));
        seeds.put("BAD_HELLO-versions", TestFrames.putU16(TestFrames.hello(), FRAME_OVERHEAD + HELLO_MIN_VERSION_OFFSET,
            3));
        seeds.put("BAD_HELLO-frame-size", TestFrames.putU16(TestFrames.hello(),
            FRAME_OVERHEAD + HELLO_MAX_FRAME_SIZE_OFFSET, 45));
        return seeds;
    }

    /**
     * Write the seeds as files.
     *
     * @param args the directory to write into, normally
     *             {@code xts-sockets/src/test/resources/io/xts/protocol/FrameFuzzTestInputs/<method>}.
     * @throws IOException if a file cannot be written.
     */
    public static void main(final String[] args) throws IOException
    {
        final Path directory = Files.createDirectories(Path.of(args[0]));
        for (final Map.Entry<String, byte[]> seed : seeds().entrySet())
        {
            Files.write(directory.resolve(seed.getKey()), seed.getValue());
        }
    }

    private static byte[] mixedData()
    {
        final byte[] bytes = TestFrames.header(KIND_DATA, 0, 200);
        final MemorySegment segment = MemorySegment.ofArray(bytes);
        final MessageWriter writer = new MessageWriter().wrap(segment, 0, bytes.length);
        final MemorySegment text = MemorySegment.ofArray("hello".getBytes(StandardCharsets.US_ASCII));
        writer.append(TYPE_STREAM_DATA, 1, text, 0, 5);
        new StreamCreditFlyweight().wrap(segment, writer.claim(TYPE_STREAM_CREDIT, 1, StreamCreditFlyweight.LENGTH),
            StreamCreditFlyweight.LENGTH).write(0xFFFF_FFFF_0000L, 0x8000_0000L);
        new LinkErrorFlyweight().wrap(segment, writer.claim(TYPE_LINK_ERROR, 0, LinkErrorFlyweight.LENGTH),
            LinkErrorFlyweight.LENGTH).write(0x0999, LINK_ERROR_UNKNOWN_TYPE, 1);
        writer.append(TYPE_SOCKET_CONNECT, 0x8000_0000, text, 0, 3);
        writer.append(0x0999, 2, text, 0, 0);
        return TestFrames.resize(bytes, writer.commit());
    }

    private static byte[] unpaddedData()
    {
        final byte[] padded = TestFrames.data(4, 1);
        return TestFrames.putU16(TestFrames.resize(padded, padded.length - 3), PAYLOAD_LENGTH_OFFSET,
            padded.length - 3 - FRAME_OVERHEAD);
    }

    private static byte[] truncatedMessageHeader()
    {
        final byte[] valid = TestFrames.data(4);
        return TestFrames.putU16(TestFrames.resize(valid, valid.length + 6), PAYLOAD_LENGTH_OFFSET,
            valid.length + 6 - FRAME_OVERHEAD);
    }
}
