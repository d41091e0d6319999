package io.xts.nvme;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HexFormat;

/**
 * Hex helpers for the NVMe/TCP tests.
 */
final class Hex
{
    private Hex()
    {
    }

    static String of(final MemorySegment segment, final long offset, final long length)
    {
        final byte[] bytes = new byte[(int)length];
        MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, offset, bytes, 0, bytes.length);
        return HexFormat.of().formatHex(bytes);
    }

    static MemorySegment segment(final String hex)
    {
        return MemorySegment.ofArray(HexFormat.of().parseHex(hex.replace(" ", "")));
    }
}
