package io.xts.xsk;

import io.xts.bindings.libxdp.xsk_h;
import io.xts.bindings.libxdp.xsk_ring_cons;
import io.xts.bindings.libxdp.xsk_ring_prod;
import io.xts.bindings.libxdp.xsk_umem_config;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The UMEM: page-aligned memory divided into equal frames that the kernel receives into and sends from, registered
 * with libxdp, together with its fill and completion rings and a frame allocator. Frames are named by their offset
 * in the UMEM ("address"), as the rings name them.
 * <p>
 * The allocator is a stack of free frame addresses: O(1), no allocation, and recently freed (cache-warm) frames are
 * reused first; a bit per frame catches a double free or a foreign address at once. It belongs to the thread that
 * drives the rings.
 */
public final class Umem implements AutoCloseable
{
    /** Page size the UMEM is aligned to. */
    public static final int PAGE_SIZE = 4096;

    private final Config config;
    private final Arena arena;
    private final MemorySegment area;
    private final MemorySegment umemHandle;
    private final MemorySegment fillStruct;
    private final MemorySegment compStruct;
    private final FillRing fillRing;
    private final CompletionRing completionRing;
    private final long[] freeFrames;
    /** One bit per frame, set while the frame is free: catches every double free in O(1). */
    private final long[] freeBits;
    private final int frameShift;
    private final long frameMask;
    private int freeCount;
    private int socketsBound;
    private boolean closed;
    /** libxdp refused to delete this UMEM once: its memory is kept, counted in {@link #REFUSED_BYTES}. */
    private boolean refused;
    private static final AtomicLong REFUSED_BYTES = new AtomicLong();

    /**
     * Configuration of a UMEM.
     *
     * @param frameCount    number of frames.
     * @param frameSize     bytes per frame: 2048 or 4096.
     * @param frameHeadroom bytes the application keeps in front of packet data in each frame.
     * @param fillSize      fill ring entries, a power of two.
     * @param completionSize completion ring entries, a power of two.
     */
    public record Config(int frameCount, int frameSize, int frameHeadroom, int fillSize, int completionSize)
    {
        /** Validates where the values enter, with messages naming the value. */
        public Config
        {
            if (frameSize != 2048 && frameSize != 4096)
            {
                throw new IllegalArgumentException("UMEM frame size must be 2048 or 4096, got " + frameSize);
            }
            if (frameCount <= 0)
            {
                throw new IllegalArgumentException("UMEM frame count must be positive, got " + frameCount);
            }
            if (frameHeadroom < 0 || frameHeadroom > frameSize - 256 - 64)
            {
                throw new IllegalArgumentException("UMEM frame headroom " + frameHeadroom +
                    " leaves no room for packets in a " + frameSize + " byte frame");
            }
            requirePowerOfTwo("fill ring size", fillSize);
            requirePowerOfTwo("completion ring size", completionSize);
        }

        /**
         * @param frameCount number of 4096-byte frames; rings of 4096 entries, no headroom.
         * @return a default configuration.
         */
        public static Config of(final int frameCount)
        {
            return new Config(frameCount, 4096, 0, 4096, 4096);
        }

        /**
         * @return largest packet one frame holds (the kernel keeps XDP_PACKET_HEADROOM in front).
         */
        public int maxPacket()
        {
            return frameSize - 256 - frameHeadroom;
        }
    }

    static void requirePowerOfTwo(final String what, final int value)
    {
        if (value <= 0 || 0 != (value & (value - 1)))
        {
            throw new IllegalArgumentException(what + " must be a power of two, got " + value);
        }
    }

    /**
     * Allocate and register a UMEM.
     *
     * @param config its configuration.
     * @throws XskException when libxdp refuses it.
     */
    public Umem(final Config config)
    {
        this.config = config;
        this.arena = Arena.ofShared();
        try
        {
            final long bytes = (long)config.frameCount() * config.frameSize();
            area = arena.allocate(bytes, PAGE_SIZE);
            fillStruct = xsk_ring_prod.allocate(arena);
            compStruct = xsk_ring_cons.allocate(arena);
            final MemorySegment cfg = xsk_umem_config.allocate(arena);
            xsk_umem_config.fill_size(cfg, config.fillSize());
            xsk_umem_config.comp_size(cfg, config.completionSize());
            xsk_umem_config.frame_size(cfg, config.frameSize());
            xsk_umem_config.frame_headroom(cfg, config.frameHeadroom());
            xsk_umem_config.flags(cfg, 0);
            final MemorySegment handleOut = arena.allocate(ValueLayout.ADDRESS);
            final int rc = xsk_h.xsk_umem__create(handleOut, area, bytes, fillStruct, compStruct, cfg);
            if (0 != rc)
            {
                throw new XskException("xsk_umem__create", bytes + " byte UMEM", rc);
            }
            umemHandle = handleOut.get(ValueLayout.ADDRESS, 0);
            fillRing = FillRing.of(fillStruct);
            completionRing = CompletionRing.of(compStruct);
        }
        catch (final RuntimeException ex)
        {
            arena.close();
            throw ex;
        }
        freeFrames = new long[config.frameCount()];
        freeBits = new long[(config.frameCount() + 63) >>> 6];
        frameShift = Integer.numberOfTrailingZeros(config.frameSize());
        frameMask = ~((long)config.frameSize() - 1);
        for (int i = config.frameCount() - 1; i >= 0; i--)
        {
            freeFrames[freeCount++] = (long)i * config.frameSize();
            freeBits[i >>> 6] |= 1L << i;
        }
    }

    /**
     * @return the configuration.
     */
    public Config config()
    {
        return config;
    }

    /**
     * @return the whole UMEM; frame addresses are offsets into it.
     */
    public MemorySegment area()
    {
        return area;
    }

    /**
     * @return the fill ring of the first socket bound to this UMEM.
     */
    public FillRing fillRing()
    {
        return fillRing;
    }

    /**
     * @return the completion ring of the first socket bound to this UMEM.
     */
    public CompletionRing completionRing()
    {
        return completionRing;
    }

    /**
     * Take a free frame.
     *
     * @return its address, or -1 when none is free.
     */
    public long allocateFrame()
    {
        if (0 == freeCount)
        {
            return -1L;
        }
        final long address = freeFrames[--freeCount];
        final int frame = (int)(address >>> frameShift);
        freeBits[frame >>> 6] &= ~(1L << frame);
        return address;
    }

    /**
     * Return a frame. Any address inside the frame will do (RX descriptors point past the headroom).
     *
     * @param address an address inside the frame.
     */
    public void freeFrame(final long address)
    {
        final long frameAddress = address & frameMask;
        final int frame = (int)(frameAddress >>> frameShift);
        if (address < 0 || frame >= freeFrames.length)
        {
            throw new IllegalArgumentException("address " + address + " is outside the UMEM (" +
                freeFrames.length + " frames of " + config.frameSize() + " bytes)");
        }
        final long bit = 1L << frame;
        if (0 != (freeBits[frame >>> 6] & bit))
        {
            throw new IllegalStateException("frame at " + frameAddress + " freed twice");
        }
        freeBits[frame >>> 6] |= bit;
        freeFrames[freeCount++] = frameAddress;
    }

    /**
     * @return frames free in the allocator.
     */
    public int freeFrameCount()
    {
        return freeCount;
    }

    /**
     * @param address an address inside a frame.
     * @return the address of that frame's first byte.
     */
    public long frameOf(final long address)
    {
        return address & frameMask;
    }

    MemorySegment handle()
    {
        return umemHandle;
    }

    MemorySegment fillStruct()
    {
        return fillStruct;
    }

    MemorySegment completionStruct()
    {
        return compStruct;
    }

    int bindSocket()
    {
        return socketsBound++;
    }

    void unbindSocket()
    {
        socketsBound--;
    }

    /**
     * Unregister and free the UMEM. Close every socket on it first; then this releases everything exactly once.
     * <p>
     * If libxdp refuses to delete it (a socket still holds it, EBUSY), the memory is <em>not</em> freed: the kernel
     * may still write received frames into it, and memory returned to the allocator must never be written behind its
     * owner's back. It stays allocated (counted in {@link #refusedBytes()}, logged) and a later {@code close()}
     * tries again.
     *
     * @throws XskException when libxdp refuses; nothing is released then.
     */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        if (socketsBound > 0)
        {
            throw new IllegalStateException("UMEM still has " + socketsBound + " socket(s) bound: close them first");
        }
        final long bytes = area.byteSize();
        final int rc = xsk_h.xsk_umem__delete(umemHandle);
        if (0 != rc)
        {
            if (!refused)
            {
                refused = true;
                REFUSED_BYTES.addAndGet(bytes);
                System.getLogger(Umem.class.getName()).log(System.Logger.Level.WARNING, "xsk_umem__delete refused (" +
                    rc + "): keeping the " + bytes + " byte UMEM allocated, the kernel may still use it");
            }
            throw new XskException("xsk_umem__delete", "UMEM", rc);
        }
        closed = true;
        if (refused)
        {
            REFUSED_BYTES.addAndGet(-bytes);
        }
        arena.close();
    }

    /**
     * @return bytes of UMEMs in this process whose deletion libxdp refused and that are therefore still allocated (0
     *         when every UMEM closed was freed).
     */
    public static long refusedBytes()
    {
        return REFUSED_BYTES.get();
    }
}
