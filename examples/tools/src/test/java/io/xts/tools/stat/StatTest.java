package io.xts.tools.stat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.xts.link.LinkCounters;
import io.xts.status.CountersFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code xts stat} against a real counters file: JSON for scripts and text for people, with a label filter.
 */
class StatTest
{
    @TempDir
    Path dir;

    private String run(final String... args)
    {
        final Stat stat = new Stat();
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        stat.out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        assertEquals(0, new CommandLine(stat).execute(args));
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void shouldPrintCountersAsJsonOnce() throws Exception
    {
        try (CountersFile file = CountersFile.create(dir.resolve("p.counters"), 8))
        {
            file.manager().newCounter("link xa frames-sent", 1001).setOrdered(42);
            file.manager().newCounter("link xa \"quoted\" label", 1001).setOrdered(-1);
            final JsonNode json = new ObjectMapper().readTree(run("--json", "--dir", dir.toString()));
            final JsonNode f = json.get("files").get(0);
            assertEquals(ProcessHandle.current().pid(), f.get("pid").asLong());
            assertTrue(f.get("running").asBoolean());
            assertEquals("link xa frames-sent", f.get("counters").get(0).get("label").asText());
            assertEquals(42, f.get("counters").get(0).get("value").asLong());
            assertEquals("link xa \"quoted\" label", f.get("counters").get(1).get("label").asText());
        }
    }

    @Test
    void shouldPrintFilteredTextOnce()
    {
        try (CountersFile file = CountersFile.create(dir.resolve("q.counters"), 8))
        {
            file.manager().newCounter("link xa retransmits", 1001).setOrdered(3);
            file.manager().newCounter("link xa duplicates", 1001).setOrdered(5);
            final String text = run("--once", "--filter", "retrans", file.path().toString());
            assertTrue(text.contains("link xa retransmits"), text);
            assertTrue(text.contains(" 3  link xa retransmits"), text);
            assertTrue(!text.contains("duplicates"), text);
            assertTrue(text.contains("(running)"), text);
        }
    }

    @Test
    void shouldShowEachLinksSmoothedRoundTripTime() throws Exception
    {
        try (CountersFile file = CountersFile.create(dir.resolve("r.counters"), 128);
            LinkCounters quiet = new LinkCounters(file.manager(), "xp-1 q0");
            LinkCounters busy = new LinkCounters(file.manager(), "xp-2 q1"))
        {
            // What the link publishes after its estimator's samples: the real counters of two links.
            file.manager().setCounterValue(counterId(file, "link xp-2 q1 smoothed-rtt-ns"), 23_440);
            final String text = run("--once", "--filter", "nothing-matches", file.path().toString());
            assertTrue(text.contains("link xp-1 q0 smoothed RTT - (no sample yet)"), text);
            assertTrue(text.contains("link xp-2 q1 smoothed RTT 23.4 us"), text);
            final JsonNode links = new ObjectMapper().readTree(run("--json", file.path().toString()))
                .get("files").get(0).get("links");
            assertEquals(2, links.size());
            assertEquals("xp-1 q0", links.get(0).get("link").asText());
            assertEquals(0.0, links.get(0).get("smoothedRttUs").asDouble());
            assertEquals("xp-2 q1", links.get(1).get("link").asText());
            assertEquals(23.44, links.get(1).get("smoothedRttUs").asDouble());
            assertEquals(23_440, busy.smoothedRttNs());
            assertEquals(0, quiet.smoothedRttNs());
        }
    }

    private static int counterId(final CountersFile file, final String label)
    {
        final int[] found = {-1};
        file.manager().forEach((value, id, l) ->
        {
            if (l.equals(label))
            {
                found[0] = id;
            }
        });
        assertTrue(found[0] >= 0, label);
        return found[0];
    }

    @Test
    void shouldSayWhenThereIsNothingToShow()
    {
        assertTrue(run("--once", "--dir", dir.resolve("none").toString()).contains("no counters files"));
    }
}
