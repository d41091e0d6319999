package io.xts.proxy;

import java.lang.foreign.MemorySegment;
import java.lang.reflect.Method;
import java.nio.Buffer;
import java.nio.ByteBuffer;

/**
 * ByteBuffer views of native memory that carry no memory session, for scattering reads and gathering writes on
 * sockets. The JDK acquires and releases the session of every segment-backed buffer in such calls and allocates a
 * releaser per buffer per call to do so; a buffer without a session costs nothing. The view is a small direct buffer
 * re-aimed at the region through {@code jdk.internal.misc.Unsafe} (exported to us by the launcher's
 * {@code --add-exports java.base/jdk.internal.misc=ALL-UNNAMED}, which Agrona needs anyway); its own one-byte
 * allocation is freed by its cleaner as usual. The region must outlive every use of the view: the proxy's link memory
 * and rings are closed only after its agents stopped. Without the export it falls back to the segment's own view,
 * which works and allocates.
 */
public final class SessionFreeView
{
    private static final Object UNSAFE;
    private static final Method PUT_LONG;
    private static final Method PUT_INT;
    private static final long ADDRESS;
    private static final long CAPACITY;
    private static final long LIMIT;

    static
    {
        Object unsafe = null;
        Method putLong = null;
        Method putInt = null;
        long address = -1;
        long capacity = -1;
        long limit = -1;
        try
        {
            final Class<?> c = Class.forName("jdk.internal.misc.Unsafe");
            unsafe = c.getMethod("getUnsafe").invoke(null);
            final Method offset = c.getMethod("objectFieldOffset", Class.class, String.class);
            address = (long)offset.invoke(unsafe, Buffer.class, "address");
            capacity = (long)offset.invoke(unsafe, Buffer.class, "capacity");
            limit = (long)offset.invoke(unsafe, Buffer.class, "limit");
            putLong = c.getMethod("putLong", Object.class, long.class, long.class);
            putInt = c.getMethod("putInt", Object.class, long.class, int.class);
        }
        catch (final ReflectiveOperationException | RuntimeException ex)
        {
            unsafe = null;
        }
        UNSAFE = unsafe;
        PUT_LONG = putLong;
        PUT_INT = putInt;
        ADDRESS = address;
        CAPACITY = capacity;
        LIMIT = limit;
    }

    private SessionFreeView()
    {
    }

    /**
     * @param region native memory of at most 2 GiB that outlives the view.
     * @return a view of all of it, position 0, limit its size.
     */
    public static ByteBuffer of(final MemorySegment region)
    {
        if (region.byteSize() > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException("memory of " + region.byteSize() +
                " bytes is larger than one ByteBuffer view can address (2 GiB)");
        }
        if (null == UNSAFE || !region.isNative())
        {
            return region.asByteBuffer();
        }
        final ByteBuffer view = ByteBuffer.allocateDirect(1);
        try
        {
            PUT_LONG.invoke(UNSAFE, view, ADDRESS, region.address());
            PUT_INT.invoke(UNSAFE, view, CAPACITY, (int)region.byteSize());
            PUT_INT.invoke(UNSAFE, view, LIMIT, (int)region.byteSize());
        }
        catch (final ReflectiveOperationException ex)
        {
            return region.asByteBuffer();
        }
        return view;
    }

    /**
     * @return whether views made here are session-free (false: the fallback is in use).
     */
    static boolean available()
    {
        return null != UNSAFE;
    }
}
