package io.xts.examples;

import io.xts.status.CountersFile;

import java.nio.file.Path;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reads a running process's counters file (a proxy's, in the system tests) and sums the counters whose label matches,
 * failing when none does, so a renamed counter cannot make an assertion pass on zero.
 */
public final class CounterSums
{
    private CounterSums()
    {
    }

    /**
     * @param counters the counters file.
     * @param pattern  what a label must contain ({@link java.util.regex.Matcher#find()}).
     * @return the sum of the matching counters.
     */
    public static long sum(final Path counters, final Pattern pattern)
    {
        final long[] sum = new long[1];
        final int[] matched = new int[1];
        try (CountersFile file = CountersFile.openForReading(counters))
        {
            file.reader().forEach((value, id, label) ->
            {
                if (pattern.matcher(label).find())
                {
                    sum[0] += value;
                    matched[0]++;
                }
            });
        }
        assertTrue(matched[0] > 0, counters + " has a counter matching " + pattern);
        return sum[0];
    }
}
