package io.xts.proxy.config;

import java.util.ArrayList;
import java.util.List;

/**
 * A set of TCP ports written as the configuration writes it: "1-65535", "443", or a comma-separated mix
 * ("80,443,8000-8099"). Validated where it enters: every port 1..65535 (port 0 is "any" in a bind and never a
 * destination), ranges not reversed.
 */
public final class PortRanges
{
    private final int[] low;
    private final int[] high;
    private final String text;

    private PortRanges(final int[] low, final int[] high, final String text)
    {
        this.low = low;
        this.high = high;
        this.text = text;
    }

    /**
     * @param text the ranges.
     * @return the set.
     * @throws IllegalArgumentException saying what is wrong with {@code text}.
     */
    public static PortRanges parse(final String text)
    {
        if (null == text || text.isBlank())
        {
            throw new IllegalArgumentException("empty port range");
        }
        final List<int[]> ranges = new ArrayList<>();
        for (final String part : text.split(",", -1))
        {
            final String p = part.trim();
            final int dash = p.indexOf('-');
            final int a = port(-1 == dash ? p : p.substring(0, dash), text);
            final int b = -1 == dash ? a : port(p.substring(dash + 1), text);
            if (b < a)
            {
                throw new IllegalArgumentException("'" + text + "': range " + p + " is reversed");
            }
            ranges.add(new int[] {a, b});
        }
        final int[] low = new int[ranges.size()];
        final int[] high = new int[ranges.size()];
        for (int i = 0; i < low.length; i++)
        {
            low[i] = ranges.get(i)[0];
            high[i] = ranges.get(i)[1];
        }
        return new PortRanges(low, high, text);
    }

    private static int port(final String s, final String whole)
    {
        final int port;
        try
        {
            port = Integer.parseInt(s.trim());
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("'" + whole + "': '" + s.trim() + "' is not a port number " +
                "(expected N, A-B, or a comma-separated list of them)");
        }
        if (port < 1 || port > 65535)
        {
            throw new IllegalArgumentException("'" + whole + "': port " + port + " is outside 1..65535");
        }
        return port;
    }

    /**
     * @param port a port.
     * @return whether it is in the set.
     */
    public boolean contains(final int port)
    {
        for (int i = 0; i < low.length; i++)
        {
            if (port >= low[i] && port <= high[i])
            {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString()
    {
        return text;
    }
}
