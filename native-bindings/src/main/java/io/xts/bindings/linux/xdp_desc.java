package io.xts.bindings.linux;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;

/**
 * An RX or TX ring descriptor ({@code <linux/if_xdp.h>}).
 * <p>
 * Layout of {@code struct xdp_desc}, written in the shape jextract generates (layout, {@code sizeof}, per-field
 * {@code $offset}, getters and setters); {@code StructLayoutTest} checks it against gcc on the installed headers.
 */
@SuppressWarnings({"checkstyle:TypeName", "checkstyle:MethodName"})
public final class xdp_desc
{
    private static final GroupLayout LAYOUT = MemoryLayout.structLayout(
        ValueLayout.JAVA_LONG.withName("addr"),
        ValueLayout.JAVA_INT.withName("len"),
        ValueLayout.JAVA_INT.withName("options")).withName("xdp_desc");

    private xdp_desc()
    {
    }

    /**
     * @return the struct layout.
     */
    public static GroupLayout layout()
    {
        return LAYOUT;
    }

    /**
     * @return sizeof(struct xdp_desc).
     */
    public static long sizeof()
    {
        return LAYOUT.byteSize();
    }

    /**
     * @param allocator where to allocate.
     * @return a zeroed struct.
     */
    public static MemorySegment allocate(final SegmentAllocator allocator)
    {
        return allocator.allocate(LAYOUT);
    }

    private static final ValueLayout.OfLong addr$LAYOUT =
        (ValueLayout.OfLong)LAYOUT.select(MemoryLayout.PathElement.groupElement("addr"));
    private static final long addr$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("addr"));

    /**
     * @return byte offset of {@code addr}.
     */
    public static long addr$offset()
    {
        return addr$OFFSET;
    }

    /**
     * @param struct the struct.
     * @return field {@code addr}.
     */
    public static long addr(final MemorySegment struct)
    {
        return struct.get(addr$LAYOUT, addr$OFFSET);
    }

    /**
     * @param struct     the struct.
     * @param fieldValue new value of {@code addr}.
     */
    public static void addr(final MemorySegment struct, final long fieldValue)
    {
        struct.set(addr$LAYOUT, addr$OFFSET, fieldValue);
    }

    private static final ValueLayout.OfInt len$LAYOUT =
        (ValueLayout.OfInt)LAYOUT.select(MemoryLayout.PathElement.groupElement("len"));
    private static final long len$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("len"));

    /**
     * @return byte offset of {@code len}.
     */
    public static long len$offset()
    {
        return len$OFFSET;
    }

    /**
     * @param struct the struct.
     * @return field {@code len}.
     */
    public static int len(final MemorySegment struct)
    {
        return struct.get(len$LAYOUT, len$OFFSET);
    }

    /**
     * @param struct     the struct.
     * @param fieldValue new value of {@code len}.
     */
    public static void len(final MemorySegment struct, final int fieldValue)
    {
        struct.set(len$LAYOUT, len$OFFSET, fieldValue);
    }

    private static final ValueLayout.OfInt options$LAYOUT =
        (ValueLayout.OfInt)LAYOUT.select(MemoryLayout.PathElement.groupElement("options"));
    private static final long options$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("options"));

    /**
     * @return byte offset of {@code options}.
     */
    public static long options$offset()
    {
        return options$OFFSET;
    }

    /**
     * @param struct the struct.
     * @return field {@code options}.
     */
    public static int options(final MemorySegment struct)
    {
        return struct.get(options$LAYOUT, options$OFFSET);
    }

    /**
     * @param struct     the struct.
     * @param fieldValue new value of {@code options}.
     */
    public static void options(final MemorySegment struct, final int fieldValue)
    {
        struct.set(options$LAYOUT, options$OFFSET, fieldValue);
    }

    /**
     * @return the names of the fields, in order, for the layout check.
     */
    public static String[] fieldNames()
    {
        return new String[] {"addr", "len", "options"};
    }

}
