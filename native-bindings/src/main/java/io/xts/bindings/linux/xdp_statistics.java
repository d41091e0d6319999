package io.xts.bindings.linux;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;

/**
 * Socket statistics read with {@code getsockopt(SOL_XDP, XDP_STATISTICS)} ({@code <linux/if_xdp.h>}).
 * <p>
 * Layout of {@code struct xdp_statistics}, written in the shape jextract generates (layout, {@code sizeof}, per-field
 * {@code $offset}, getters and setters); {@code StructLayoutTest} checks it against gcc on the installed headers.
 */
@SuppressWarnings({"checkstyle:TypeName", "checkstyle:MethodName"})
public final class xdp_statistics
{
    private static final GroupLayout LAYOUT = MemoryLayout.structLayout(
        ValueLayout.JAVA_LONG.withName("rx_dropped"),
        ValueLayout.JAVA_LONG.withName("rx_invalid_descs"),
        ValueLayout.JAVA_LONG.withName("tx_invalid_descs"),
        ValueLayout.JAVA_LONG.withName("rx_ring_full"),
        ValueLayout.JAVA_LONG.withName("rx_fill_ring_empty_descs"),
        ValueLayout.JAVA_LONG.withName("tx_ring_empty_descs")).withName("xdp_statistics");

    private xdp_statistics()
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
     * @return sizeof(struct xdp_statistics).
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

    private static final ValueLayout.OfLong rx_dropped$LAYOUT =
        (ValueLayout.OfLong)LAYOUT.select(MemoryLayout.PathElement.groupElement("rx_dropped"));
    private static final long rx_dropped$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("rx_dropped"));

    /**
     * @return byte offset of {@code rx_dropped}.
     */
    public static long rx_dropped$offset()
    {
        return rx_dropped$OFFSET;
    }

    /**
     * @param struct the struct.
     * @return field {@code rx_dropped}.
     */
    public static long rx_dropped(final MemorySegment struct)
    {
        return struct.get(rx_dropped$LAYOUT, rx_dropped$OFFSET);
    }

    /**
     * @param struct     the struct.
     * @param fieldValue new value of {@code rx_dropped}.
     */
    public static void rx_dropped(final MemorySegment struct, final long fieldValue)
    {
        struct.set(rx_dropped$LAYOUT, rx_dropped$OFFSET, fieldValue);
    }

    private static final ValueLayout.OfLong rx_invalid_descs$LAYOUT =
        (ValueLayout.OfLong)LAYOUT.select(MemoryLayout.PathElement.groupElement("rx_invalid_descs"));
    private static final long rx_invalid_descs$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("rx_invalid_descs"));

    /**
     * @return byte offset of {@code rx_invalid_descs}.
     */
    public static long rx_invalid_descs$offset()
    {
        return rx_invalid_descs$OFFSET;
    }

    /**
     * @param struct the struct.
     * @return field {@code rx_invalid_descs}.
     */
    public static long rx_invalid_descs(final MemorySegment struct)
    {
        return struct.get(rx_invalid_descs$LAYOUT, rx_invalid_descs$OFFSET);
    }

    /**
     * @param struct     the struct.
     * @param fieldValue new value of {@code rx_invalid_descs}.
     */
    public static void rx_invalid_descs(final MemorySegment struct, final long fieldValue)
    {
        struct.set(rx_invalid_descs$LAYOUT, rx_invalid_descs$OFFSET, fieldValue);
    }

    private static final ValueLayout.OfLong tx_invalid_descs$LAYOUT =
        (ValueLayout.OfLong)LAYOUT.select(MemoryLayout.PathElement.groupElement("tx_invalid_descs"));
    private static final long tx_invalid_descs$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("tx_invalid_descs"));

    /**
     * @return byte offset of {@code tx_invalid_descs}.
     */
    public static long tx_invalid_descs$offset()
    {
        return tx_invalid_descs$OFFSET;
    }

    /**
     * @param struct the struct.
     * @return field {@code tx_invalid_descs}.
     */
    public static long tx_invalid_descs(final MemorySegment struct)
    {
        return struct.get(tx_invalid_descs$LAYOUT, tx_invalid_descs$OFFSET);
    }

    /**
     * @param struct     the struct.
     * @param fieldValue new value of {@code tx_invalid_descs}.
     */
    public static void tx_invalid_descs(final MemorySegment struct, final long fieldValue)
    {
        struct.set(tx_invalid_descs$LAYOUT, tx_invalid_descs$OFFSET, fieldValue);
    }

    private static final ValueLayout.OfLong rx_ring_full$LAYOUT =
        (ValueLayout.OfLong)LAYOUT.select(MemoryLayout.PathElement.groupElement("rx_ring_full"));
    private static final long rx_ring_full$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("rx_ring_full"));

    /**
     * @return byte offset of {@code rx_ring_full}.
     */
    public static long rx_ring_full$offset()
    {
        return rx_ring_full$OFFSET;
    }

    /**
     * @param struct the struct.
     * @return field {@code rx_ring_full}.
     */
    public static long rx_ring_full(final MemorySegment struct)
    {
        return struct.get(rx_ring_full$LAYOUT, rx_ring_full$OFFSET);
    }

    /**
     * @param struct     the struct.
     * @param fieldValue new value of {@code rx_ring_full}.
     */
    public static void rx_ring_full(final MemorySegment struct, final long fieldValue)
    {
        struct.set(rx_ring_full$LAYOUT, rx_ring_full$OFFSET, fieldValue);
    }

    private static final ValueLayout.OfLong rx_fill_ring_empty_descs$LAYOUT =
        (ValueLayout.OfLong)LAYOUT.select(MemoryLayout.PathElement.groupElement("rx_fill_ring_empty_descs"));
    private static final long rx_fill_ring_empty_descs$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("rx_fill_ring_empty_descs"));

    /**
     * @return byte offset of {@code rx_fill_ring_empty_descs}.
     */
    public static long rx_fill_ring_empty_descs$offset()
    {
        return rx_fill_ring_empty_descs$OFFSET;
    }

    /**
     * @param struct the struct.
     * @return field {@code rx_fill_ring_empty_descs}.
     */
    public static long rx_fill_ring_empty_descs(final MemorySegment struct)
    {
        return struct.get(rx_fill_ring_empty_descs$LAYOUT, rx_fill_ring_empty_descs$OFFSET);
    }

    /**
     * @param struct     the struct.
     * @param fieldValue new value of {@code rx_fill_ring_empty_descs}.
     */
    public static void rx_fill_ring_empty_descs(final MemorySegment struct, final long fieldValue)
    {
        struct.set(rx_fill_ring_empty_descs$LAYOUT, rx_fill_ring_empty_descs$OFFSET, fieldValue);
    }

    private static final ValueLayout.OfLong tx_ring_empty_descs$LAYOUT =
        (ValueLayout.OfLong)LAYOUT.select(MemoryLayout.PathElement.groupElement("tx_ring_empty_descs"));
    private static final long tx_ring_empty_descs$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("tx_ring_empty_descs"));

    /**
     * @return byte offset of {@code tx_ring_empty_descs}.
     */
    public static long tx_ring_empty_descs$offset()
    {
        return tx_ring_empty_descs$OFFSET;
    }

    /**
     * @param struct the struct.
     * @return field {@code tx_ring_empty_descs}.
     */
    public static long tx_ring_empty_descs(final MemorySegment struct)
    {
        return struct.get(tx_ring_empty_descs$LAYOUT, tx_ring_empty_descs$OFFSET);
    }

    /**
     * @param struct     the struct.
     * @param fieldValue new value of {@code tx_ring_empty_descs}.
     */
    public static void tx_ring_empty_descs(final MemorySegment struct, final long fieldValue)
    {
        struct.set(tx_ring_empty_descs$LAYOUT, tx_ring_empty_descs$OFFSET, fieldValue);
    }

    /**
     * @return the names of the fields, in order, for the layout check.
     */
    public static String[] fieldNames()
    {
        return new String[] {"rx_dropped", "rx_invalid_descs", "tx_invalid_descs", "rx_ring_full", "rx_fill_ring_empty_descs", "tx_ring_empty_descs"};
    }

}
