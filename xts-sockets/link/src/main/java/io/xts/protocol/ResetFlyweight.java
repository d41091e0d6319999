package io.xts.protocol;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

import static io.xts.protocol.XtsFrameDescriptor.BIG_ENDIAN_SHORT;
import static io.xts.protocol.XtsFrameDescriptor.RESET_HEADER_LENGTH;
import static io.xts.protocol.XtsFrameDescriptor.RESET_REASON_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.RESET_TEXT_LENGTH_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.RESET_TEXT_OFFSET;

/**
 * Encoder and decoder of the RESET payload: a u16 reason ({@link XtsFrameDescriptor#RESET_VERSION_MISMATCH} and
 * friends), a u16 text length and that many bytes of UTF-8 text saying why the sender takes the link down. RESET is
 * rare, so the text is converted from and to a {@link String} (which allocates); the numeric fields are read and
 * written in place. Wrap it over the payload with the bytes available: the received payload length when decoding,
 * the frame's remaining capacity when encoding. {@link #text()} never reads past the wrapped length, even when the
 * text length field claims more (it returns what is there); {@link FrameValidator} rejects such frames anyway.
 */
public final class ResetFlyweight extends PayloadFlyweight<ResetFlyweight>
{

    /**
     * Create a flyweight wrapping nothing; {@link #wrap} it over a RESET payload before use.
     */
    public ResetFlyweight()
    {
    }

    @Override
    protected ResetFlyweight self()
    {
        return this;
    }

    /**
     * @return the u16 reason.
     */
    public int reason()
    {
        return segment.get(BIG_ENDIAN_SHORT, offset + RESET_REASON_OFFSET) & 0xFFFF;
    }

    /**
     * @param reason u16 reason.
     * @return this.
     */
    public ResetFlyweight reason(final int reason)
    {
        segment.set(BIG_ENDIAN_SHORT, offset + RESET_REASON_OFFSET, (short)reason);
        return this;
    }

    /**
     * @return the u16 length of the text, as written in the payload.
     */
    public int textLength()
    {
        return segment.get(BIG_ENDIAN_SHORT, offset + RESET_TEXT_LENGTH_OFFSET) & 0xFFFF;
    }

    /**
     * @return bytes the payload occupies according to its text length field: header plus text.
     */
    public int payloadLength()
    {
        return RESET_HEADER_LENGTH + textLength();
    }

    /**
     * Write the reason and the text, UTF-8 encoded. A text longer than the wrapped length allows (or than 65535
     * bytes) is cut at a character boundary.
     *
     * @param reason u16 reason.
     * @param text   why the link goes down.
     * @return bytes of payload written: the value for the frame's payloadLength.
     * @throws IllegalStateException when the wrapped length cannot hold even the reason and text length.
     */
    public int encode(final int reason, final String text)
    {
        if (length < RESET_HEADER_LENGTH)
        {
            throw new IllegalStateException("RESET needs " + RESET_HEADER_LENGTH + " bytes, wrapped " + length);
        }
        final byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        final int room = Math.min(length, XtsFrameDescriptor.MAX_PAYLOAD_LENGTH) - RESET_HEADER_LENGTH;
        int textLength = Math.min(bytes.length, room);
        while (textLength < bytes.length && textLength > 0 && 0x80 == (bytes[textLength] & 0xC0))
        {
            textLength--;
        }
        reason(reason);
        segment.set(BIG_ENDIAN_SHORT, offset + RESET_TEXT_LENGTH_OFFSET, (short)textLength);
        MemorySegment.copy(bytes, 0, segment, ValueLayout.JAVA_BYTE, offset + RESET_TEXT_OFFSET, textLength);
        return RESET_HEADER_LENGTH + textLength;
    }

    /**
     * Decode the text. Invalid UTF-8 is replaced, not rejected; a text length past the wrapped length yields the
     * bytes that are there; a payload shorter than the RESET header yields the empty string.
     *
     * @return the text.
     */
    public String text()
    {
        if (length < RESET_HEADER_LENGTH)
        {
            return "";
        }
        final int available = Math.min(textLength(), length - RESET_HEADER_LENGTH);
        final byte[] bytes = new byte[available];
        MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, offset + RESET_TEXT_OFFSET, bytes, 0, available);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
