package io.xts.tools.stat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
    void shouldSayWhenThereIsNothingToShow()
    {
        assertTrue(run("--once", "--dir", dir.resolve("none").toString()).contains("no counters files"));
    }
}
