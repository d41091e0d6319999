package io.xts.proxy;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The session-free view sees exactly the region's bytes, both ways, over its whole size; the launcher's export makes
 * it available (the allocation test shows what it saves).
 */
class SessionFreeViewTest
{
    @Test
    void viewsTheRegionBothWays()
    {
        assertTrue(SessionFreeView.available(), "jdk.internal.misc is exported to us, as the build configures");
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment region = arena.allocate(8192);
            region.set(ValueLayout.JAVA_BYTE, 8191, (byte)42);
            final ByteBuffer view = SessionFreeView.of(region);
            assertTrue(view.isDirect());
            assertEquals(8192, view.capacity());
            assertEquals(8192, view.limit());
            assertEquals(42, view.get(8191));
            view.put(100, (byte)7);
            assertEquals(7, region.get(ValueLayout.JAVA_BYTE, 100));
            final ByteBuffer slice = view.duplicate().position(4096).limit(4100);
            assertEquals(4, slice.remaining());
        }
    }
}
