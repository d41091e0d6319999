package io.xts.bindings.libxdp;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;

/**
 * UMEM configuration passed to {@code xsk_umem__create} ({@code <xdp/xsk.h>}).
 * <p>
 * Layout of {@code struct xsk_umem_config}, written in the shape jextract generates (layout, {@code sizeof}, per-field
 * {@code $offset}, getters and setters); {@code StructLayoutTest} checks it against gcc on the installed headers.
 */
@SuppressWarnings({"checkstyle:TypeName", "checkstyle:MethodName"})
public final class xsk_umem_config
{
    private static final GroupLayout LAYOUT = MemoryLayout.structLayout(
        ValueLayout.JAVA_INT.withName("fill_size"),
        ValueLayout.JAVA_INT.withName("comp_size"),
        ValueLayout.JAVA_INT.withName("frame_size"),
        ValueLayout.JAVA_INT.withName("frame_headroom"),
        ValueLayout.JAVA_INT.withName("flags")).withName("xsk_umem_config");

    private xsk_umem_config()
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
     * @return sizeof(struct xsk_umem_config).
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

    private static final ValueLayout.OfInt fill_size$LAYOUT =
        (ValueLayout.OfInt)LAYOUT.select(MemoryLayout.PathElement.groupElement("fill_size"));
    private static final long fill_size$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("fill_size"));

    /**
     * @return byte offset of {@code fill_size}.
     */
    public static long fill_size$offset()
    {
        return fill_size$OFFSET;
    }

    /**
     * @param struct the struct.
     * @return field {@code fill_size}.
     */
    public static int fill_size(final MemorySegment struct)
    {
        return struct.get(fill_size$LAYOUT, fill_size$OFFSET);
    }

    /**
     * @param struct     the struct.
     * @param fieldValue new value of {@code fill_size}.
     */
    public static void fill_size(final MemorySegment struct, final int fieldValue)
    {
        struct.set(fill_size$LAYOUT, fill_size$OFFSET, fieldValue);
    }

    private static final ValueLayout.OfInt comp_size$LAYOUT =
        (ValueLayout.OfInt)LAYOUT.select(MemoryLayout.PathElement.groupElement("comp_size"));
    private static final long comp_size$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("comp_size"));

    /**
     * @return byte offset of {@code comp_size}.
     */
    public static long comp_size$offset()
    {
        return comp_size$OFFSET;
    }

    /**
     * @param struct the struct.
     * @return field {@code comp_size}.
     */
    public static int comp_size(final MemorySegment struct)
    {
        return struct.get(comp_size$LAYOUT, comp_size$OFFSET);
    }

    /**
     * @param struct     the struct.
     * @param fieldValue new value of {@code comp_size}.
     */
    public static void comp_size(final MemorySegment struct, final int fieldValue)
    {
        struct.set(comp_size$LAYOUT, comp_size$OFFSET, fieldValue);
    }

    private static final ValueLayout.OfInt frame_size$LAYOUT =
        (ValueLayout.OfInt)LAYOUT.select(MemoryLayout.PathElement.groupElement("frame_size"));
    private static final long frame_size$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("frame_size"));

    /**
     * @return byte offset of {@code frame_size}.
     */
    public static long frame_size$offset()
    {
        return frame_size$OFFSET;
    }

    /**
     * @param struct the struct.
     * @return field {@code frame_size}.
     */
    public static int frame_size(final MemorySegment struct)
    {
        return struct.get(frame_size$LAYOUT, frame_size$OFFSET);
    }

    /**
     * @param struct     the struct.
     * @param fieldValue new value of {@code frame_size}.
     */
    public static void frame_size(final MemorySegment struct, final int fieldValue)
    {
        struct.set(frame_size$LAYOUT, frame_size$OFFSET, fieldValue);
    }

    private static final ValueLayout.OfInt frame_headroom$LAYOUT =
        (ValueLayout.OfInt)LAYOUT.select(MemoryLayout.PathElement.groupElement("frame_headroom"));
    private static final long frame_headroom$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("frame_headroom"));

    /**
     * @return byte offset of {@code frame_headroom}.
     */
    public static long frame_headroom$offset()
    {
        return frame_headroom$OFFSET;
    }

    /**
     * @param struct the struct.
     * @return field {@code frame_headroom}.
     */
    public static int frame_headroom(final MemorySegment struct)
    {
        return struct.get(frame_headroom$LAYOUT, frame_headroom$OFFSET);
    }

    /**
     * @param struct     the struct.
     * @param fieldValue new value of {@code frame_headroom}.
     */
    public static void frame_headroom(final MemorySegment struct, final int fieldValue)
    {
        struct.set(frame_headroom$LAYOUT, frame_headroom$OFFSET, fieldValue);
    }

    private static final ValueLayout.OfInt flags$LAYOUT =
        (ValueLayout.OfInt)LAYOUT.select(MemoryLayout.PathElement.groupElement("flags"));
    private static final long flags$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("flags"));

    /**
     * @return byte offset of {@code flags}.
     */
    public static long flags$offset()
    {
        return flags$OFFSET;
    }

    /**
     * @param struct the struct.
     * @return field {@code flags}.
     */
    public static int flags(final MemorySegment struct)
    {
        return struct.get(flags$LAYOUT, flags$OFFSET);
    }

    /**
     * @param struct     the struct.
     * @param fieldValue new value of {@code flags}.
     */
    public static void flags(final MemorySegment struct, final int fieldValue)
    {
        struct.set(flags$LAYOUT, flags$OFFSET, fieldValue);
    }

    /**
     * @return the names of the fields, in order, for the layout check.
     */
    public static String[] fieldNames()
    {
        return new String[] {"fill_size", "comp_size", "frame_size", "frame_headroom", "flags"};
    }

}
