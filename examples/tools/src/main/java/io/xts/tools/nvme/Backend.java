package io.xts.tools.nvme;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Where the namespace's blocks live. Connections of every queue use one backend from their own threads: accesses
 * to different blocks do not interfere, and overlapping ones race as they would on a disk.
 */
public abstract sealed class Backend implements AutoCloseable permits Backend.NullBackend, Backend.RamBackend
{
    /** The backends the command line offers. */
    public enum Kind
    {
        /** Reads return zeros, writes are discarded: measures the transport alone. */
        NULL,
        /** A byte store of the namespace size in off-heap memory. */
        RAM
    }

    private final long size;

    Backend(final long size)
    {
        this.size = size;
    }

    /**
     * @param kind          which backend.
     * @param size          bytes of the namespace.
     * @param maxViewLength longest {@link #view} that will be asked for.
     * @return a new backend.
     */
    public static Backend create(final Kind kind, final long size, final long maxViewLength)
    {
        return switch (kind)
        {
            case NULL -> new NullBackend(size, maxViewLength);
            case RAM -> new RamBackend(size);
        };
    }

    /** @return bytes of the namespace. */
    public final long size()
    {
        return size;
    }

    /**
     * @param offset first byte.
     * @param length bytes, at most the maximum given at creation.
     * @return memory holding the bytes {@code [offset, offset + length)} to send (valid until the next write).
     */
    public abstract MemorySegment view(long offset, long length);

    /**
     * Store bytes.
     *
     * @param offset    first byte of the namespace to write.
     * @param source    memory holding the bytes.
     * @param srcOffset their offset in {@code source}.
     * @param length    bytes.
     */
    public abstract void write(long offset, MemorySegment source, long srcOffset, long length);

    /**
     * @param offset first byte.
     * @param length bytes to set to zero.
     */
    public abstract void zero(long offset, long length);

    @Override
    public abstract void close();

    /** Reads return zeros, writes are discarded. */
    static final class NullBackend extends Backend
    {
        private final Arena arena = Arena.ofShared();
        private final MemorySegment zeros;

        NullBackend(final long size, final long maxViewLength)
        {
            super(size);
            zeros = arena.allocate(maxViewLength, 4096);
        }

        @Override
        public MemorySegment view(final long offset, final long length)
        {
            return zeros.asSlice(0, length);
        }

        @Override
        public void write(final long offset, final MemorySegment source, final long srcOffset, final long length)
        {
        }

        @Override
        public void zero(final long offset, final long length)
        {
        }

        @Override
        public void close()
        {
            arena.close();
        }
    }

    /** The namespace in one off-heap segment from a shared arena (zeroed at start), so gigabytes fit. */
    static final class RamBackend extends Backend
    {
        private final Arena arena = Arena.ofShared();
        private final MemorySegment store;

        RamBackend(final long size)
        {
            super(size);
            MemorySegment s;
            try
            {
                s = arena.allocate(size, 4096);
            }
            catch (final OutOfMemoryError | IllegalArgumentException ex)
            {
                arena.close();
                throw new IllegalArgumentException("cannot allocate " + Sizes.format(size) + " for the ram backend: " +
                    ex.getMessage(), ex);
            }
            store = s;
        }

        @Override
        public MemorySegment view(final long offset, final long length)
        {
            return store.asSlice(offset, length);
        }

        @Override
        public void write(final long offset, final MemorySegment source, final long srcOffset, final long length)
        {
            MemorySegment.copy(source, srcOffset, store, offset, length);
        }

        @Override
        public void zero(final long offset, final long length)
        {
            store.asSlice(offset, length).fill((byte)0);
        }

        @Override
        public void close()
        {
            arena.close();
        }
    }
}
