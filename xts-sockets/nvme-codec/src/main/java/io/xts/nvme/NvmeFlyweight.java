package io.xts.nvme;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

import static io.xts.nvme.NvmeTcp.LE_INT;
import static io.xts.nvme.NvmeTcp.LE_LONG;
import static io.xts.nvme.NvmeTcp.LE_SHORT;

/**
 * What every NVMe/TCP flyweight shares: the memory and the offset where its structure starts, set by {@link #wrap},
 * and little-endian field access relative to that offset. Bounds are those of the segment (FFM checks every access),
 * so there is no separate length: a structure wrapped too close to the end of its segment fails on the first access
 * past it rather than reading a neighbour's bytes. {@code T} is the subclass, so {@code wrap} chains into it.
 *
 * @param <T> the concrete flyweight.
 */
public abstract class NvmeFlyweight<T extends NvmeFlyweight<T>>
{
    /** Memory holding the structure. */
    protected MemorySegment segment;
    /** Offset of the structure's first byte in {@link #segment}. */
    protected long offset;

    /**
     * For subclasses.
     */
    protected NvmeFlyweight()
    {
    }

    /**
     * Point this flyweight at a structure.
     *
     * @param segment memory holding it.
     * @param offset  offset of its first byte.
     * @return this.
     */
    public final T wrap(final MemorySegment segment, final long offset)
    {
        this.segment = segment;
        this.offset = offset;
        onWrap();
        return self();
    }

    /**
     * @return the memory wrapped.
     */
    public final MemorySegment segment()
    {
        return segment;
    }

    /**
     * @return the offset of the structure's first byte in {@link #segment()}.
     */
    public final long offset()
    {
        return offset;
    }

    /**
     * Called after {@link #wrap}: flyweights that contain others (a CapsuleCmd its SQE) re-point them here.
     */
    protected void onWrap()
    {
    }

    /**
     * @return this, typed as the subclass.
     */
    protected abstract T self();

    /**
     * Set {@code length} bytes from {@code at} to zero, with wide stores (no slice: slices are objects).
     *
     * @param at     offset in the structure.
     * @param length bytes.
     */
    protected final void zero(final long at, final long length)
    {
        long i = 0;
        for (; i + 8 <= length; i += 8)
        {
            segment.set(ValueLayout.JAVA_LONG_UNALIGNED, offset + at + i, 0L);
        }
        for (; i < length; i++)
        {
            segment.set(ValueLayout.JAVA_BYTE, offset + at + i, (byte)0);
        }
    }

    /**

     * @param at offset in the structure.

     * @return the u8 there.

     */
    protected final int u8(final long at)
    {
        return segment.get(ValueLayout.JAVA_BYTE, offset + at) & 0xFF;
    }

    /**

     * @param at offset in the structure.

     * @param value the low 8 bits are written.

     */
    protected final void u8(final long at, final int value)
    {
        segment.set(ValueLayout.JAVA_BYTE, offset + at, (byte)value);
    }

    /**

     * @param at offset in the structure.

     * @return the u16 there.

     */
    protected final int u16(final long at)
    {
        return segment.get(LE_SHORT, offset + at) & 0xFFFF;
    }

    /**

     * @param at offset in the structure.

     * @param value the low 16 bits are written.

     */
    protected final void u16(final long at, final int value)
    {
        segment.set(LE_SHORT, offset + at, (short)value);
    }

    /**

     * @param at offset in the structure.

     * @return the u32 there, 0 to 2^32 - 1.

     */
    protected final long u32(final long at)
    {
        return segment.get(LE_INT, offset + at) & 0xFFFF_FFFFL;
    }

    /**

     * @param at offset in the structure.

     * @return the 32 bits there, raw.

     */
    protected final int i32(final long at)
    {
        return segment.get(LE_INT, offset + at);
    }

    /**

     * @param at offset in the structure.

     * @param value the low 32 bits are written.

     */
    protected final void i32(final long at, final long value)
    {
        segment.set(LE_INT, offset + at, (int)value);
    }

    /**

     * @param at offset in the structure.

     * @return the 64 bits there, raw.

     */
    protected final long i64(final long at)
    {
        return segment.get(LE_LONG, offset + at);
    }

    /**

     * @param at offset in the structure.

     * @param value written as is.

     */
    protected final void i64(final long at, final long value)
    {
        segment.set(LE_LONG, offset + at, value);
    }

    /**
     * Read an ASCII text field: up to the first NUL, with trailing spaces removed (serial and model numbers are
     * space padded, NQNs NUL terminated). Allocates: for set-up and logs, not for the data path.
     *
     * @param at     offset in the structure.
     * @param length bytes of the field.
     * @return the text.
     */
    protected final String ascii(final long at, final int length)
    {
        int end = 0;
        while (end < length && 0 != segment.get(ValueLayout.JAVA_BYTE, offset + at + end))
        {
            end++;
        }
        while (end > 0 && ' ' == segment.get(ValueLayout.JAVA_BYTE, offset + at + end - 1))
        {
            end--;
        }
        final byte[] bytes = new byte[end];
        MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, offset + at, bytes, 0, end);
        return new String(bytes, StandardCharsets.US_ASCII);
    }

    /**
     * Write an ASCII text field, padded to its length with {@code pad} (space or NUL).
     *
     * @param at     offset in the structure.
     * @param length bytes of the field.
     * @param text   the text; non-ASCII characters become '?'.
     * @param pad    the padding byte.
     * @param needNul whether at least one NUL must remain (NQNs are NUL terminated).
     */
    protected final void ascii(
        final long at, final int length, final CharSequence text, final byte pad, final boolean needNul)
    {
        final int max = needNul ? length - 1 : length;
        if (text.length() > max)
        {
            throw new IllegalArgumentException("text of " + text.length() + " characters does not fit " + max);
        }
        for (int i = 0; i < length; i++)
        {
            final byte b;
            if (i < text.length())
            {
                final char c = text.charAt(i);
                b = c < 0x80 ? (byte)c : (byte)'?';
            }
            else
            {
                b = pad;
            }
            segment.set(ValueLayout.JAVA_BYTE, offset + at + i, b);
        }
    }
}
