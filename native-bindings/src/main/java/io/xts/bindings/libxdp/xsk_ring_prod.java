package io.xts.bindings.libxdp;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;

/**
 * A producer ring as libxdp sets it up: cached indexes, mask, size and pointers into the kernel-mapped ring ({@code <xdp/xsk.h>}). The Java driver reads the pointers once and keeps its own cached indexes.
 * <p>
 * Layout of {@code struct xsk_ring_prod}, written in the shape jextract generates (layout, {@code sizeof}, per-field
 * {@code $offset}, getters and setters); {@code StructLayoutTest} checks it against gcc on the installed headers.
 */
@SuppressWarnings({"checkstyle:TypeName", "checkstyle:MethodName"})
public final class xsk_ring_prod
{
    private static final GroupLayout LAYOUT = MemoryLayout.structLayout(
        ValueLayout.JAVA_INT.withName("cached_prod"),
        ValueLayout.JAVA_INT.withName("cached_cons"),
        ValueLayout.JAVA_INT.withName("mask"),
        ValueLayout.JAVA_INT.withName("size"),
        ValueLayout.ADDRESS.withName("producer"),
        ValueLayout.ADDRESS.withName("consumer"),
        ValueLayout.ADDRESS.withName("ring"),
        ValueLayout.ADDRESS.withName("flags")).withName("xsk_ring_prod");

    private xsk_ring_prod()
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
     * @return sizeof(struct xsk_ring_prod).
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

    private static final ValueLayout.OfInt cached_prod$LAYOUT =
        (ValueLayout.OfInt)LAYOUT.select(MemoryLayout.PathElement.groupElement("cached_prod"));
    private static final long cached_prod$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("cached_prod"));

    /**
     * @return byte offset of {@code cached_prod}.
     */
    public static long cached_prod$offset()
    {
        return cached_prod$OFFSET;
    }

    /**
     * @param struct the struct.
     * @return field {@code cached_prod}.
     */
    public static int cached_prod(final MemorySegment struct)
    {
        return struct.get(cached_prod$LAYOUT, cached_prod$OFFSET);
    }

    /**
     * @param struct     the struct.
     * @param fieldValue new value of {@code cached_prod}.
     */
    public static void cached_prod(final MemorySegment struct, final int fieldValue)
    {
        struct.set(cached_prod$LAYOUT, cached_prod$OFFSET, fieldValue);
    }

    private static final ValueLayout.OfInt cached_cons$LAYOUT =
        (ValueLayout.OfInt)LAYOUT.select(MemoryLayout.PathElement.groupElement("cached_cons"));
    private static final long cached_cons$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("cached_cons"));

    /**
     * @return byte offset of {@code cached_cons}.
     */
    public static long cached_cons$offset()
    {
        return cached_cons$OFFSET;
    }

    /**
     * @param struct the struct.
     * @return field {@code cached_cons}.
     */
    public static int cached_cons(final MemorySegment struct)
    {
        return struct.get(cached_cons$LAYOUT, cached_cons$OFFSET);
    }

    /**
     * @param struct     the struct.
     * @param fieldValue new value of {@code cached_cons}.
     */
    public static void cached_cons(final MemorySegment struct, final int fieldValue)
    {
        struct.set(cached_cons$LAYOUT, cached_cons$OFFSET, fieldValue);
    }

    private static final ValueLayout.OfInt mask$LAYOUT =
        (ValueLayout.OfInt)LAYOUT.select(MemoryLayout.PathElement.groupElement("mask"));
    private static final long mask$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("mask"));

    /**
     * @return byte offset of {@code mask}.
     */
    public static long mask$offset()
    {
        return mask$OFFSET;
    }

    /**
     * @param struct the struct.
     * @return field {@code mask}.
     */
    public static int mask(final MemorySegment struct)
    {
        return struct.get(mask$LAYOUT, mask$OFFSET);
    }

    /**
     * @param struct     the struct.
     * @param fieldValue new value of {@code mask}.
     */
    public static void mask(final MemorySegment struct, final int fieldValue)
    {
        struct.set(mask$LAYOUT, mask$OFFSET, fieldValue);
    }

    private static final ValueLayout.OfInt size$LAYOUT =
        (ValueLayout.OfInt)LAYOUT.select(MemoryLayout.PathElement.groupElement("size"));
    private static final long size$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("size"));

    /**
     * @return byte offset of {@code size}.
     */
    public static long size$offset()
    {
        return size$OFFSET;
    }

    /**
     * @param struct the struct.
     * @return field {@code size}.
     */
    public static int size(final MemorySegment struct)
    {
        return struct.get(size$LAYOUT, size$OFFSET);
    }

    /**
     * @param struct     the struct.
     * @param fieldValue new value of {@code size}.
     */
    public static void size(final MemorySegment struct, final int fieldValue)
    {
        struct.set(size$LAYOUT, size$OFFSET, fieldValue);
    }

    private static final AddressLayout producer$LAYOUT =
        (AddressLayout)LAYOUT.select(MemoryLayout.PathElement.groupElement("producer"));
    private static final long producer$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("producer"));

    /**
     * @return byte offset of {@code producer}.
     */
    public static long producer$offset()
    {
        return producer$OFFSET;
    }

    /**
     * @param struct the struct.
     * @return field {@code producer}.
     */
    public static MemorySegment producer(final MemorySegment struct)
    {
        return struct.get(producer$LAYOUT, producer$OFFSET);
    }

    /**
     * @param struct     the struct.
     * @param fieldValue new value of {@code producer}.
     */
    public static void producer(final MemorySegment struct, final MemorySegment fieldValue)
    {
        struct.set(producer$LAYOUT, producer$OFFSET, fieldValue);
    }

    private static final AddressLayout consumer$LAYOUT =
        (AddressLayout)LAYOUT.select(MemoryLayout.PathElement.groupElement("consumer"));
    private static final long consumer$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("consumer"));

    /**
     * @return byte offset of {@code consumer}.
     */
    public static long consumer$offset()
    {
        return consumer$OFFSET;
    }

    /**
     * @param struct the struct.
     * @return field {@code consumer}.
     */
    public static MemorySegment consumer(final MemorySegment struct)
    {
        return struct.get(consumer$LAYOUT, consumer$OFFSET);
    }

    /**
     * @param struct     the struct.
     * @param fieldValue new value of {@code consumer}.
     */
    public static void consumer(final MemorySegment struct, final MemorySegment fieldValue)
    {
        struct.set(consumer$LAYOUT, consumer$OFFSET, fieldValue);
    }

    private static final AddressLayout ring$LAYOUT =
        (AddressLayout)LAYOUT.select(MemoryLayout.PathElement.groupElement("ring"));
    private static final long ring$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("ring"));

    /**
     * @return byte offset of {@code ring}.
     */
    public static long ring$offset()
    {
        return ring$OFFSET;
    }

    /**
     * @param struct the struct.
     * @return field {@code ring}.
     */
    public static MemorySegment ring(final MemorySegment struct)
    {
        return struct.get(ring$LAYOUT, ring$OFFSET);
    }

    /**
     * @param struct     the struct.
     * @param fieldValue new value of {@code ring}.
     */
    public static void ring(final MemorySegment struct, final MemorySegment fieldValue)
    {
        struct.set(ring$LAYOUT, ring$OFFSET, fieldValue);
    }

    private static final AddressLayout flags$LAYOUT =
        (AddressLayout)LAYOUT.select(MemoryLayout.PathElement.groupElement("flags"));
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
    public static MemorySegment flags(final MemorySegment struct)
    {
        return struct.get(flags$LAYOUT, flags$OFFSET);
    }

    /**
     * @param struct     the struct.
     * @param fieldValue new value of {@code flags}.
     */
    public static void flags(final MemorySegment struct, final MemorySegment fieldValue)
    {
        struct.set(flags$LAYOUT, flags$OFFSET, fieldValue);
    }

    /**
     * @return the names of the fields, in order, for the layout check.
     */
    public static String[] fieldNames()
    {
        return new String[] {"cached_prod", "cached_cons", "mask", "size", "producer", "consumer", "ring", "flags"};
    }

}
