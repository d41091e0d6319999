package io.xts.nvme;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The parser must report the same PDUs (headers, data bytes, digest verdicts) however the stream is cut: in one
 * chunk, in two at every position, byte by byte, and in chunks of a few sizes; for both directions, with digests off
 * and on, and with data alignment (PAD) from 4 to 128 bytes; and when the caller places the DATA itself
 * ({@link PduParser#dataPlaced}, as a host reading payloads straight from its socket into the command's buffer).
 */
class PduParserStreamTest
{
    static Stream<Arguments> configurations()
    {
        return Stream.of(
            Arguments.of(false, false, 0),
            Arguments.of(true, true, 0),
            Arguments.of(true, false, 3),
            Arguments.of(false, true, 15),
            Arguments.of(true, true, 31));
    }

    @ParameterizedTest
    @MethodSource("configurations")
    void shouldDelineateControllerToHostStreamAtEverySplit(final boolean hd, final boolean dd, final int pda)
    {
        check(PduParser.Side.HOST, TestStreams.toHost(hd, dd, pda), pda);
    }

    @ParameterizedTest
    @MethodSource("configurations")
    void shouldDelineateHostToControllerStreamAtEverySplit(final boolean hd, final boolean dd, final int pda)
    {
        check(PduParser.Side.CONTROLLER, TestStreams.toController(hd, dd, pda), pda);
    }

    @ParameterizedTest
    @MethodSource("configurations")
    void shouldReportTheSameWhenTheCallerPlacesTheData(final boolean hd, final boolean dd, final int pda)
    {
        final TestStreams.Stream stream = TestStreams.toHost(hd, dd, pda);
        final MemorySegment bytes = stream.bytes();
        final int n = stream.length();
        for (final int chunk : new int[] {1, 7, 100, 1 << 20})
        {
            final RecordingHandler handler = new RecordingHandler(pda);
            final PduParser parser = new PduParser(PduParser.Side.HOST, 8192, handler);
            handler.parser = parser;
            // Where the data goes: a direct buffer, at the data's own stream offsets for simplicity.
            final ByteBuffer destination = ByteBuffer.allocateDirect(n);
            final MemorySegment placed = MemorySegment.ofBuffer(destination);
            int at = 0;
            int placedBytes = 0;
            while (at < n)
            {
                if (parser.readingData())
                {
                    final int k = (int)Math.min(chunk, parser.bytesToStepEnd());
                    // The kernel's copy, from the socket into the destination.
                    MemorySegment.copy(bytes, at, placed, at, k);
                    handler.placed(placed, at, k);
                    destination.clear().position(at).limit(at + k);
                    parser.dataPlaced(destination);
                    assertEquals(at, destination.position(), "the position is left as it was");
                    placedBytes += k;
                    at += k;
                }
                else
                {
                    final int k = (int)Math.min(chunk, Math.min(n - at, parser.bytesToStepEnd()));
                    assertEquals(k, parser.feed(bytes, at, k));
                    at += k;
                }
            }
            assertEquals(stream.events(), handler.events, "chunks of " + chunk);
            assertTrue(placedBytes > 0);
            assertFalse(parser.isFailed());
            assertTrue(parser.readingHeader());
            assertEquals(n, parser.position());
            assertThrows(IllegalStateException.class, () -> parser.dataPlaced(destination.clear().limit(1)),
                "only while reading DATA");
        }
    }

    private static void check(final PduParser.Side side, final TestStreams.Stream stream, final int pda)
    {
        assertEquals(16, stream.events().size(), "8 PDUs");
        final MemorySegment bytes = stream.bytes();
        final int n = stream.length();
        // The second part comes from other memory, as the next TCP read would.
        final MemorySegment copy = MemorySegment.ofArray(bytes.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE));

        assertEquals(stream.events(), parse(side, pda, p -> assertEquals(n, p.feed(bytes, 0, n))), "one chunk");
        for (int split = 0; split <= n; split++)
        {
            final int k = split;
            assertEquals(stream.events(), parse(side, pda, p ->
            {
                assertEquals(k, p.feed(bytes, 0, k));
                assertEquals(n - k, p.feed(copy, k, n - k));
            }), "split at " + split);
        }
        assertEquals(stream.events(), parse(side, pda, p ->
        {
            for (int i = 0; i < n; i++)
            {
                assertEquals(1, p.feed((i & 1) == 0 ? bytes : copy, i, 1));
            }
        }), "byte by byte");
        for (final int chunk : new int[] {2, 3, 7, 24, 29, 100, 1500})
        {
            assertEquals(stream.events(), parse(side, pda, p ->
            {
                for (int i = 0; i < n; i += chunk)
                {
                    p.feed(copy, i, Math.min(chunk, n - i));
                }
            }), "chunks of " + chunk);
        }
    }

    private static List<String> parse(final PduParser.Side side, final int pda, final Consumer<PduParser> feeding)
    {
        final RecordingHandler handler = new RecordingHandler(pda);
        final PduParser parser = new PduParser(side, 8192, handler);
        handler.parser = parser;
        feeding.accept(parser);
        assertFalse(parser.isFailed(), () -> parser.errorText());
        assertEquals(8, parser.pduCount());
        assertEquals(parser.position(), parser.pduStart());
        return handler.events;
    }
}
