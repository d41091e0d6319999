package io.xts.tools.nvme;

import java.util.Locale;

/**
 * Byte counts as people type them on a command line: a number with an optional binary suffix K, M, G or T (also
 * KiB, MiB, GiB, TiB, case-insensitive), e.g. {@code 512}, {@code 128K}, {@code 1G}.
 */
public final class Sizes
{
    private Sizes()
    {
    }

    /**
     * @param text the size.
     * @return bytes.
     * @throws IllegalArgumentException when it is not a size or overflows a long.
     */
    public static long parse(final String text)
    {
        String t = text.trim().toUpperCase(Locale.ROOT);
        if (t.endsWith("IB"))
        {
            t = t.substring(0, t.length() - 2);
        }
        else if (t.endsWith("B") && t.length() > 1 && !Character.isDigit(t.charAt(t.length() - 2)))
        {
            t = t.substring(0, t.length() - 1);
        }
        int shift = 0;
        if (!t.isEmpty())
        {
            switch (t.charAt(t.length() - 1))
            {
                case 'K' -> shift = 10;
                case 'M' -> shift = 20;
                case 'G' -> shift = 30;
                case 'T' -> shift = 40;
                default -> shift = 0;
            }
        }
        if (0 != shift)
        {
            t = t.substring(0, t.length() - 1);
        }
        final long n;
        try
        {
            n = Long.parseLong(t.trim());
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("not a size: '" + text + "' (a number with an optional K, M, G or T)");
        }
        if (n < 0 || (0 != shift && n > (Long.MAX_VALUE >> shift)))
        {
            throw new IllegalArgumentException("size out of range: '" + text + "'");
        }
        return n << shift;
    }

    /**
     * @param bytes a byte count.
     * @return it with the largest binary suffix that divides it exactly, e.g. 1G, 1536K, 100.
     */
    public static String format(final long bytes)
    {
        final String[] suffixes = {"T", "G", "M", "K"};
        final int[] shifts = {40, 30, 20, 10};
        for (int i = 0; i < shifts.length; i++)
        {
            final long unit = 1L << shifts[i];
            if (bytes >= unit && 0 == bytes % unit)
            {
                return (bytes / unit) + suffixes[i];
            }
        }
        return Long.toString(bytes);
    }
}
