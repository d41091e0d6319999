package io.xts.bindings.libc;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;

/**
 * One entry of the array passed to {@code poll(2)} ({@code <poll.h>}).
 * <p>
 * Layout of {@code struct pollfd}, written in the shape jextract generates (layout, {@code sizeof}, per-field
 * {@code $offset}, getters and setters); {@code StructLayoutTest} checks it against gcc on the installed headers.
 */
@SuppressWarnings({"checkstyle:TypeName", "checkstyle:MethodName"})
public final class pollfd
{
    private static final GroupLayout LAYOUT = MemoryLayout.structLayout(
        ValueLayout.JAVA_INT.withName("fd"),
        ValueLayout.JAVA_SHORT.withName("events"),
        ValueLayout.JAVA_SHORT.withName("revents")).withName("pollfd");

    private pollfd()
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
     * @return sizeof(struct pollfd).
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

    private static final ValueLayout.OfInt fd$LAYOUT =
        (ValueLayout.OfInt)LAYOUT.select(MemoryLayout.PathElement.groupElement("fd"));
    private static final long fd$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("fd"));

    /**
     * @return byte offset of {@code fd}.
     */
    public static long fd$offset()
    {
        return fd$OFFSET;
    }

    /**
     * @param struct the struct.
     * @return field {@code fd}.
     */
    public static int fd(final MemorySegment struct)
    {
        return struct.get(fd$LAYOUT, fd$OFFSET);
    }

    /**
     * @param struct     the struct.
     * @param fieldValue new value of {@code fd}.
     */
    public static void fd(final MemorySegment struct, final int fieldValue)
    {
        struct.set(fd$LAYOUT, fd$OFFSET, fieldValue);
    }

    private static final ValueLayout.OfShort events$LAYOUT =
        (ValueLayout.OfShort)LAYOUT.select(MemoryLayout.PathElement.groupElement("events"));
    private static final long events$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("events"));

    /**
     * @return byte offset of {@code events}.
     */
    public static long events$offset()
    {
        return events$OFFSET;
    }

    /**
     * @param struct the struct.
     * @return field {@code events}.
     */
    public static short events(final MemorySegment struct)
    {
        return struct.get(events$LAYOUT, events$OFFSET);
    }

    /**
     * @param struct     the struct.
     * @param fieldValue new value of {@code events}.
     */
    public static void events(final MemorySegment struct, final short fieldValue)
    {
        struct.set(events$LAYOUT, events$OFFSET, fieldValue);
    }

    private static final ValueLayout.OfShort revents$LAYOUT =
        (ValueLayout.OfShort)LAYOUT.select(MemoryLayout.PathElement.groupElement("revents"));
    private static final long revents$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("revents"));

    /**
     * @return byte offset of {@code revents}.
     */
    public static long revents$offset()
    {
        return revents$OFFSET;
    }

    /**
     * @param struct the struct.
     * @return field {@code revents}.
     */
    public static short revents(final MemorySegment struct)
    {
        return struct.get(revents$LAYOUT, revents$OFFSET);
    }

    /**
     * @param struct     the struct.
     * @param fieldValue new value of {@code revents}.
     */
    public static void revents(final MemorySegment struct, final short fieldValue)
    {
        struct.set(revents$LAYOUT, revents$OFFSET, fieldValue);
    }

    /**
     * @return the names of the fields, in order, for the layout check.
     */
    public static String[] fieldNames()
    {
        return new String[] {"fd", "events", "revents"};
    }

}
