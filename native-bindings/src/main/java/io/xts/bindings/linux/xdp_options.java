package io.xts.bindings.linux;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;

/**
 * Socket options read with {@code getsockopt(SOL_XDP, XDP_OPTIONS)} ({@code <linux/if_xdp.h>}).
 * <p>
 * Layout of {@code struct xdp_options}, written in the shape jextract generates (layout, {@code sizeof}, per-field
 * {@code $offset}, getters and setters); {@code StructLayoutTest} checks it against gcc on the installed headers.
 */
@SuppressWarnings({"checkstyle:TypeName", "checkstyle:MethodName"})
public final class xdp_options
{
    private static final GroupLayout LAYOUT = MemoryLayout.structLayout(
        ValueLayout.JAVA_INT.withName("flags")).withName("xdp_options");

    private xdp_options()
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
     * @return sizeof(struct xdp_options).
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
        return new String[] {"flags"};
    }

}
