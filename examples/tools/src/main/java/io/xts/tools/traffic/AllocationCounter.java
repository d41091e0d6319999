package io.xts.tools.traffic;

import java.lang.management.ManagementFactory;

/**
 * Reads the calling thread's allocated-bytes counter (HotSpot's {@code ThreadMXBean} extension), so the traffic
 * loops can report what their hot path allocated.
 */
final class AllocationCounter
{
    /** Frames after which a loop counts as warm: allocation is measured from there to the end of the run. */
    static final long WARMUP_FRAMES = 65536;

    private static final com.sun.management.ThreadMXBean THREADS = threads();

    private AllocationCounter()
    {
    }

    private static com.sun.management.ThreadMXBean threads()
    {
        return ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t &&
            t.isThreadAllocatedMemorySupported() ? t : null;
    }

    static long currentThread()
    {
        return null == THREADS ? -1L : THREADS.getCurrentThreadAllocatedBytes();
    }

    static long since(final long start)
    {
        return start < 0 ? -1L : currentThread() - start;
    }
}
