package io.xts.xsk;

import io.xts.test.Privileged;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tests of the UMEM's frame allocator on a real, registered UMEM. {@code xsk_umem__create} opens an AF_XDP socket
 * to register the memory, and {@code socket(AF_XDP)} needs CAP_NET_RAW (unprivileged it fails with EPERM, checked
 * with libxdp 1.3 on kernel 6.x), so these tests are gated by {@link Privileged}: skipped without privileges
 * outside CI, failed inside CI. No interface, network namespace or XDP program is involved.
 */
@Tag("privileged")
class UmemAllocatorTest
{
    private static final int FRAMES = 64;
    private static final int FRAME_SIZE = 2048;

    private Umem umem;

    @BeforeEach
    void createUmem()
    {
        Privileged.require("registering a UMEM (xsk_umem__create opens an AF_XDP socket, which needs CAP_NET_RAW)");
        umem = new Umem(new Umem.Config(FRAMES, FRAME_SIZE, 0, 64, 32));
    }

    @AfterEach
    void closeUmem()
    {
        if (null != umem)
        {
            umem.close();
        }
    }

    @Test
    void shouldDescribeTheRegisteredMemoryAndItsRings()
    {
        assertEquals((long)FRAMES * FRAME_SIZE, umem.area().byteSize());
        assertEquals(0, umem.area().address() % Umem.PAGE_SIZE, "UMEM must be page aligned");
        assertEquals(64, umem.fillRing().size());
        assertEquals(32, umem.completionRing().size());
        assertEquals(FRAMES, umem.freeFrameCount());
        assertEquals(FRAME_SIZE, umem.config().frameSize());
    }

    @Test
    void shouldAllocateEveryFrameOnceThenReportNoneLeft()
    {
        final Set<Long> seen = new HashSet<>();
        long previous = -1;
        for (int i = 0; i < FRAMES; i++)
        {
            final long frame = umem.allocateFrame();
            assertTrue(frame >= 0 && frame < (long)FRAMES * FRAME_SIZE, "frame " + frame + " inside the UMEM");
            assertEquals(0, frame % FRAME_SIZE, "frame " + frame + " starts on a frame boundary");
            assertTrue(seen.add(frame), "frame " + frame + " handed out twice");
            assertTrue(frame > previous, "a fresh UMEM hands out frames in address order");
            previous = frame;
        }
        assertEquals(0, umem.freeFrameCount());
        assertEquals(-1L, umem.allocateFrame(), "no frame left");
        assertEquals(-1L, umem.allocateFrame(), "still none");
    }

    @Test
    void shouldReuseTheMostRecentlyFreedFrameFirst()
    {
        final long a = umem.allocateFrame();
        final long b = umem.allocateFrame();
        final long c = umem.allocateFrame();
        umem.freeFrame(a);
        umem.freeFrame(c);
        umem.freeFrame(b);
        assertEquals(b, umem.allocateFrame(), "last freed, first reused");
        assertEquals(c, umem.allocateFrame());
        assertEquals(a, umem.allocateFrame());
    }

    @Test
    void shouldFreeAFrameByAnyAddressInsideIt()
    {
        final long frame = umem.allocateFrame();
        final int before = umem.freeFrameCount();
        umem.freeFrame(frame + 256 + 100);
        assertEquals(before + 1, umem.freeFrameCount());
        assertEquals(frame, umem.allocateFrame(), "an RX address past the headroom returns its frame");
    }

    @Test
    void shouldMapAnAddressToItsFrame()
    {
        assertEquals(0, umem.frameOf(0));
        assertEquals(0, umem.frameOf(FRAME_SIZE - 1));
        assertEquals(FRAME_SIZE, umem.frameOf(FRAME_SIZE));
        assertEquals(5L * FRAME_SIZE, umem.frameOf(5L * FRAME_SIZE + 256));
        assertEquals((FRAMES - 1L) * FRAME_SIZE, umem.frameOf((long)FRAMES * FRAME_SIZE - 1));
    }

    @Test
    void shouldDetectAFrameFreedWhenEveryFrameIsAlreadyFree()
    {
        final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> umem.freeFrame(0));
        assertTrue(ex.getMessage().contains("freed twice"), ex.getMessage());
        assertEquals(FRAMES, umem.freeFrameCount(), "the rejected free changed nothing");

        final long frame = umem.allocateFrame();
        umem.freeFrame(frame);
        assertThrows(IllegalStateException.class, () -> umem.freeFrame(frame), "second free of the same frame");
    }

    @Test
    void shouldDetectADoubleFreeWhileOtherFramesAreInUse()
    {
        final long a = umem.allocateFrame();
        final long b = umem.allocateFrame();
        umem.freeFrame(a);
        final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> umem.freeFrame(a + 300));
        assertTrue(ex.getMessage().contains("freed twice"), ex.getMessage());
        umem.freeFrame(b);
        assertThrows(IllegalArgumentException.class, () -> umem.freeFrame((long)FRAMES * FRAME_SIZE),
            "an address past the UMEM");
    }

    @Test
    void shouldCycleEveryFrameManyTimesWithoutLosingOne()
    {
        final long[] held = new long[FRAMES];
        for (int round = 0; round < 100; round++)
        {
            for (int i = 0; i < FRAMES; i++)
            {
                held[i] = umem.allocateFrame();
                assertTrue(held[i] >= 0, "round " + round + " frame " + i);
            }
            assertEquals(-1L, umem.allocateFrame());
            for (int i = FRAMES - 1; i >= 0; i -= 2)
            {
                umem.freeFrame(held[i]);
            }
            for (int i = FRAMES - 2; i >= 0; i -= 2)
            {
                umem.freeFrame(held[i]);
            }
            assertEquals(FRAMES, umem.freeFrameCount());
        }
        final Set<Long> distinct = new HashSet<>();
        for (int i = 0; i < FRAMES; i++)
        {
            distinct.add(umem.allocateFrame());
        }
        assertEquals(FRAMES, distinct.size(), "every frame is still there exactly once");
    }

    @Test
    void shouldCloseOnlyOnce()
    {
        umem.close();
        assertDoesNotThrow(umem::close, "closing twice is harmless");
    }
}
