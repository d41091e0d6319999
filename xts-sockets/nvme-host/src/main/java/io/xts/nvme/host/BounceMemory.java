package io.xts.nvme.host;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The memory a queue copies scatter-read data into when it cannot stay where it arrived: the software transport (the
 * data comes through the queue's own parser) and the offload transport's fallbacks (before the ULP push, after a
 * refusal, or while the link keeps as many frames as it allows). Fixed-size chunks from one off-heap region, allocated
 * on first use and handed out from a free stack; a read fills its chunks in order, so it wastes less than one. Sized
 * for the queue's scatter window plus one chunk per command slot, which the window's admission control makes enough:
 * {@link #allocate()} running dry is a bug, not a load condition. The region is freed by the garbage collector once the
 * queue and every list that points into it are gone.
 */
final class BounceMemory
{
    /** Bytes of a chunk. */
    static final int CHUNK = 8192;

    private final int chunkCount;
    private MemorySegment memory;
    private int[] free;
    private int freeTop;

    /**
     * @param window the queue's scatter window (bytes of scatter-read data it holds at most).
     * @param depth  the queue's command slots.
     */
    BounceMemory(final long window, final int depth)
    {
        final long chunks = (window + CHUNK - 1) / CHUNK + depth;
        if (chunks > Integer.MAX_VALUE / CHUNK)
        {
            throw new IllegalArgumentException("scatter window of " + window + " bytes is too large");
        }
        this.chunkCount = (int)chunks;
    }

    /** @return the region (allocated on first use). */
    synchronized MemorySegment memory()
    {
        if (null == memory)
        {
            memory = Arena.ofAuto().allocate((long)chunkCount * CHUNK, 4096);
            free = new int[chunkCount];
            for (int i = 0; i < chunkCount; i++)
            {
                free[i] = chunkCount - 1 - i;
            }
            freeTop = chunkCount;
        }
        return memory;
    }

    int chunkSize()
    {
        return CHUNK;
    }

    /** @return a free chunk, or -1 when none is left. */
    synchronized int allocate()
    {
        memory();
        return 0 == freeTop ? -1 : free[--freeTop];
    }

    /**
     * @param chunk a chunk.
     * @return its first byte in {@link #memory()}.
     */
    long offset(final int chunk)
    {
        return (long)chunk * CHUNK;
    }

    /**
     * Give chunks back.
     *
     * @param chunks their numbers.
     * @param count  how many.
     */
    synchronized void free(final int[] chunks, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            free[freeTop++] = chunks[i];
        }
    }

    /** @return chunks free now (all of them before first use). */
    synchronized int freeChunks()
    {
        return null == memory ? chunkCount : freeTop;
    }

    /** @return chunks in all. */
    int chunks()
    {
        return chunkCount;
    }
}
