package io.xts.protocol;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

import static io.xts.protocol.XtsFrameDescriptor.RESET_HEADER_LENGTH;
import static io.xts.protocol.XtsFrameDescriptor.RESET_PROTOCOL_ERROR;
import static io.xts.protocol.XtsFrameDescriptor.RESET_SHUTDOWN;
import static io.xts.protocol.XtsFrameDescriptor.RESET_VERSION_MISMATCH;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Tests of the RESET payload flyweight: exact bytes, round trips of reason and text (ASCII, multi-byte UTF-8,
 * empty, the longest that fits), cutting a long text at a character boundary, and decoding that never reads past
 * the wrapped length whatever the text length field says.
 */
class ResetFlyweightTest
{
    private final ResetFlyweight reset = new ResetFlyweight();

    @Test
    void shouldWriteReasonLengthAndUtf8Text()
    {
        final byte[] bytes = new byte[7];
        final int written = reset.wrap(MemorySegment.ofArray(bytes), 0, bytes.length).encode(RESET_SHUTDOWN, "bye");

        assertEquals(7, written);
        assertArrayEquals(new byte[] {0x00, 0x03, 0x00, 0x03, 'b', 'y', 'e'}, bytes);
        assertEquals(7, reset.payloadLength());
    }

    @Test
    void shouldRoundTripReasonAndText()
    {
        final String text = "handshake refused: peer speaks versions 2..3, we speak 1..1 — Grüße ✓ \uD83D\uDE80";
        final MemorySegment segment = MemorySegment.ofArray(new byte[300]);
        final int written = reset.wrap(segment, 10, 290).encode(RESET_VERSION_MISMATCH, text);

        final ResetFlyweight reader = new ResetFlyweight().wrap(segment, 10, written);
        assertEquals(RESET_VERSION_MISMATCH, reader.reason());
        assertEquals(text.getBytes(StandardCharsets.UTF_8).length, reader.textLength());
        assertEquals(text, reader.text());
        assertEquals(written, reader.length());
    }

    @Test
    void shouldRoundTripAnEmptyText()
    {
        final MemorySegment segment = MemorySegment.ofArray(new byte[RESET_HEADER_LENGTH]);

        assertEquals(4, reset.wrap(segment, 0, RESET_HEADER_LENGTH).encode(0xFFFF, ""));
        assertEquals(0xFFFF, reset.reason());
        assertEquals(0, reset.textLength());
        assertEquals("", reset.text());
    }

    @Test
    void shouldCutATooLongTextAtACharacterBoundary()
    {
        // "é" is two bytes: with room for 5 text bytes, "aéé" (5 bytes) fits and "aééé" must lose a whole "é".
        final MemorySegment segment = MemorySegment.ofArray(new byte[RESET_HEADER_LENGTH + 6]);
        final int written = reset.wrap(segment, 0, RESET_HEADER_LENGTH + 6).encode(RESET_PROTOCOL_ERROR, "aéééé");

        assertEquals(RESET_HEADER_LENGTH + 5, written);
        assertEquals("aéé", reset.text());
    }

    @Test
    void shouldCapTheTextAtTheLargestPayload()
    {
        final MemorySegment segment = MemorySegment.ofArray(new byte[70_000]);
        final int written = reset.wrap(segment, 0, 70_000).encode(RESET_SHUTDOWN, "x".repeat(69_000));

        assertEquals(XtsFrameDescriptor.MAX_PAYLOAD_LENGTH, written);
        assertEquals(XtsFrameDescriptor.MAX_PAYLOAD_LENGTH - RESET_HEADER_LENGTH, reset.textLength());
        assertEquals(65_531, reset.text().length());
    }

    @Test
    void shouldDecodeOnlyWhatIsInsideTheWrappedLength()
    {
        final byte[] bytes = {0x00, 0x02, (byte)0xFF, (byte)0xFF, 'o', 'k'};
        final MemorySegment segment = MemorySegment.ofArray(bytes);

        assertEquals("ok", reset.wrap(segment, 0, bytes.length).text());
        assertEquals(0xFFFF, reset.textLength());
        assertEquals("o", reset.wrap(segment, 0, 5).text());
        assertEquals("", reset.wrap(segment, 0, 3).text());
        assertEquals("", reset.wrap(segment, 0, 0).text());
    }

    @Test
    void shouldReplaceInvalidUtf8()
    {
        final byte[] bytes = {0x00, 0x02, 0x00, 0x02, (byte)0xC3, 'x'};

        assertEquals("\uFFFDx", reset.wrap(MemorySegment.ofArray(bytes), 0, bytes.length).text());
    }

    @Test
    void shouldRefuseToEncodeIntoLessThanTheHeader()
    {
        final MemorySegment segment = MemorySegment.ofArray(new byte[8]);
        reset.wrap(segment, 0, RESET_HEADER_LENGTH - 1);

        assertThrows(IllegalStateException.class, () -> reset.encode(RESET_SHUTDOWN, "x"));
    }
}
