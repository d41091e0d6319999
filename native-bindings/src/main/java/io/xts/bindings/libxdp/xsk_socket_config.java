package io.xts.bindings.libxdp;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;

/**
 * Socket configuration passed to {@code xsk_socket__create} ({@code <xdp/xsk.h>}); {@code libxdp_flags} is the union member shared with {@code libbpf_flags}.
 * <p>
 * Layout of {@code struct xsk_socket_config}, written in the shape jextract generates (layout, {@code sizeof}, per-field
 * {@code $offset}, getters and setters); {@code StructLayoutTest} checks it against gcc on the installed headers.
 */
@SuppressWarnings({"checkstyle:TypeName", "checkstyle:MethodName"})
public final class xsk_socket_config
{
    private static final GroupLayout LAYOUT = MemoryLayout.structLayout(
        ValueLayout.JAVA_INT.withName("rx_size"),
        ValueLayout.JAVA_INT.withName("tx_size"),
        ValueLayout.JAVA_INT.withName("libxdp_flags"),
        ValueLayout.JAVA_INT.withName("xdp_flags"),
        ValueLayout.JAVA_SHORT.withName("bind_flags"),
        MemoryLayout.paddingLayout(2)).withName("xsk_socket_config");

    private xsk_socket_config()
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
     * @return sizeof(struct xsk_socket_config).
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

    private static final ValueLayout.OfInt rx_size$LAYOUT =
        (ValueLayout.OfInt)LAYOUT.select(MemoryLayout.PathElement.groupElement("rx_size"));
    private static final long rx_size$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("rx_size"));

    /**
     * @return byte offset of {@code rx_size}.
     */
    public static long rx_size$offset()
    {
        return rx_size$OFFSET;
    }

    /**
     * @param struct the struct.
     * @return field {@code rx_size}.
     */
    public static int rx_size(final MemorySegment struct)
    {
        return struct.get(rx_size$LAYOUT, rx_size$OFFSET);
    }

    /**
     * @param struct     the struct.
     * @param fieldValue new value of {@code rx_size}.
     */
    public static void rx_size(final MemorySegment struct, final int fieldValue)
    {
        struct.set(rx_size$LAYOUT, rx_size$OFFSET, fieldValue);
    }

    private static final ValueLayout.OfInt tx_size$LAYOUT =
        (ValueLayout.OfInt)LAYOUT.select(MemoryLayout.PathElement.groupElement("tx_size"));
    private static final long tx_size$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("tx_size"));

    /**
     * @return byte offset of {@code tx_size}.
     */
    public static long tx_size$offset()
    {
        return tx_size$OFFSET;
    }

    /**
     * @param struct the struct.
     * @return field {@code tx_size}.
     */
    public static int tx_size(final MemorySegment struct)
    {
        return struct.get(tx_size$LAYOUT, tx_size$OFFSET);
    }

    /**
     * @param struct     the struct.
     * @param fieldValue new value of {@code tx_size}.
     */
    public static void tx_size(final MemorySegment struct, final int fieldValue)
    {
        struct.set(tx_size$LAYOUT, tx_size$OFFSET, fieldValue);
    }

    private static final ValueLayout.OfInt libxdp_flags$LAYOUT =
        (ValueLayout.OfInt)LAYOUT.select(MemoryLayout.PathElement.groupElement("libxdp_flags"));
    private static final long libxdp_flags$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("libxdp_flags"));

    /**
     * @return byte offset of {@code libxdp_flags}.
     */
    public static long libxdp_flags$offset()
    {
        return libxdp_flags$OFFSET;
    }

    /**
     * @param struct the struct.
     * @return field {@code libxdp_flags}.
     */
    public static int libxdp_flags(final MemorySegment struct)
    {
        return struct.get(libxdp_flags$LAYOUT, libxdp_flags$OFFSET);
    }

    /**
     * @param struct     the struct.
     * @param fieldValue new value of {@code libxdp_flags}.
     */
    public static void libxdp_flags(final MemorySegment struct, final int fieldValue)
    {
        struct.set(libxdp_flags$LAYOUT, libxdp_flags$OFFSET, fieldValue);
    }

    private static final ValueLayout.OfInt xdp_flags$LAYOUT =
        (ValueLayout.OfInt)LAYOUT.select(MemoryLayout.PathElement.groupElement("xdp_flags"));
    private static final long xdp_flags$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("xdp_flags"));

    /**
     * @return byte offset of {@code xdp_flags}.
     */
    public static long xdp_flags$offset()
    {
        return xdp_flags$OFFSET;
    }

    /**
     * @param struct the struct.
     * @return field {@code xdp_flags}.
     */
    public static int xdp_flags(final MemorySegment struct)
    {
        return struct.get(xdp_flags$LAYOUT, xdp_flags$OFFSET);
    }

    /**
     * @param struct     the struct.
     * @param fieldValue new value of {@code xdp_flags}.
     */
    public static void xdp_flags(final MemorySegment struct, final int fieldValue)
    {
        struct.set(xdp_flags$LAYOUT, xdp_flags$OFFSET, fieldValue);
    }

    private static final ValueLayout.OfShort bind_flags$LAYOUT =
        (ValueLayout.OfShort)LAYOUT.select(MemoryLayout.PathElement.groupElement("bind_flags"));
    private static final long bind_flags$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("bind_flags"));

    /**
     * @return byte offset of {@code bind_flags}.
     */
    public static long bind_flags$offset()
    {
        return bind_flags$OFFSET;
    }

    /**
     * @param struct the struct.
     * @return field {@code bind_flags}.
     */
    public static short bind_flags(final MemorySegment struct)
    {
        return struct.get(bind_flags$LAYOUT, bind_flags$OFFSET);
    }

    /**
     * @param struct     the struct.
     * @param fieldValue new value of {@code bind_flags}.
     */
    public static void bind_flags(final MemorySegment struct, final short fieldValue)
    {
        struct.set(bind_flags$LAYOUT, bind_flags$OFFSET, fieldValue);
    }

    /**
     * @return the names of the fields, in order, for the layout check.
     */
    public static String[] fieldNames()
    {
        return new String[] {"rx_size", "tx_size", "libxdp_flags", "xdp_flags", "bind_flags"};
    }

}
