package io.xts.tools.nvme;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The data pattern of {@code xts nvme-bench --verify}: every logical block's content is a function of its LBA and a
 * seed alone, so any block read back can be checked on its own, whichever job wrote it and whenever.
 * <p>
 * Word {@code w} (8 bytes, little endian) of block {@code lba} is {@code base(lba) + w * 0x9E3779B97F4A7C15}, where
 * {@code base} is the SplitMix64 finaliser of {@code seed ^ (lba * 0xD1B54A32D192ED03)}: distinct words within a
 * block, unrelated bases across blocks (a block read from the wrong LBA or into a shifted buffer is caught), and one
 * add per word to generate or check. Block sizes are multiples of 8 (NVMe LBA formats are at least 512 bytes).
 */
final class BenchPattern
{
    private static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final long STEP = 0x9E3779B97F4A7C15L;

    private final long seed;
    private final int blockSize;

    /**
     * @param seed      the seed.
     * @param blockSize bytes of a logical block, a multiple of 8.
     */
    BenchPattern(final long seed, final int blockSize)
    {
        if (blockSize <= 0 || 0 != blockSize % 8)
        {
            throw new IllegalArgumentException("block size must be a positive multiple of 8, got " + blockSize);
        }
        this.seed = seed;
        this.blockSize = blockSize;
    }

    /** @param lba a block. @return its first word. */
    long base(final long lba)
    {
        long z = seed ^ (lba * 0xD1B54A32D192ED03L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * Fill {@code blocks} blocks from {@code lba} into {@code buffer} at {@code offset}.
     *
     * @param buffer where.
     * @param offset first byte.
     * @param lba    first block.
     * @param blocks how many.
     */
    void fill(final MemorySegment buffer, final long offset, final long lba, final int blocks)
    {
        final int words = blockSize >>> 3;
        long at = offset;
        for (int b = 0; b < blocks; b++)
        {
            long v = base(lba + b);
            for (int w = 0; w < words; w++, at += 8)
            {
                buffer.set(WORD, at, v);
                v += STEP;
            }
        }
    }

    /**
     * Check {@code blocks} blocks read from {@code lba} into {@code buffer} at {@code offset}.
     *
     * @param buffer the data read.
     * @param offset its first byte.
     * @param lba    first block.
     * @param blocks how many.
     * @return -1 if every byte matches; else the offset, from the start of block {@code lba}, of the first byte
     *         that does not.
     */
    long check(final MemorySegment buffer, final long offset, final long lba, final int blocks)
    {
        final int words = blockSize >>> 3;
        long at = offset;
        for (int b = 0; b < blocks; b++)
        {
            long v = base(lba + b);
            for (int w = 0; w < words; w++, at += 8)
            {
                final long got = buffer.get(WORD, at);
                if (got != v)
                {
                    return at - offset + (Long.numberOfTrailingZeros(got ^ v) >>> 3);
                }
                v += STEP;
            }
        }
        return -1;
    }

    /**
     * Check a piece of a read's data, wherever it starts (a piece of a scatter list: any offset, any length).
     *
     * @param memory     the memory holding the piece.
     * @param offset     its first byte.
     * @param length     its bytes.
     * @param lba        the read's first block.
     * @param dataOffset the piece's offset in the read's data.
     * @return -1 if every byte matches; else the offset, from the start of block {@code lba}, of the first byte
     *         that does not.
     */
    long check(final MemorySegment memory, final long offset, final long length, final long lba,
        final long dataOffset)
    {
        long at = offset;
        long d = dataOffset;
        final long end = offset + length;
        while (at < end)
        {
            final long block = d / blockSize;
            int inBlock = (int)(d - block * blockSize);
            long v = base(lba + block) + (long)(inBlock >>> 3) * STEP;
            while (at < end && inBlock < blockSize)
            {
                if (0 == (inBlock & 7) && end - at >= 8)
                {
                    final long got = memory.get(WORD, at);
                    if (got != v)
                    {
                        return d + (Long.numberOfTrailingZeros(got ^ v) >>> 3);
                    }
                    at += 8;
                    d += 8;
                    inBlock += 8;
                    v += STEP;
                }
                else
                {
                    if (memory.get(ValueLayout.JAVA_BYTE, at) != (byte)(v >>> ((inBlock & 7) << 3)))
                    {
                        return d;
                    }
                    at++;
                    d++;
                    inBlock++;
                    if (0 == (inBlock & 7))
                    {
                        v += STEP;
                    }
                }
            }
        }
        return -1;
    }

    /** @return bytes of a block. */
    int blockSize()
    {
        return blockSize;
    }
}
