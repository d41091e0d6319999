package io.xts.protocol;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Replays the fuzz corpus as plain JUnit tests, without Jazzer, in the normal test JVM: every file in the inputs
 * directory of {@link FrameFuzzTest} (seeds and any findings added later) goes through the same
 * {@link FrameFuzzTarget}; files named after a {@link MalformedReason} must get exactly that verdict; and the
 * checked-in seeds must equal what {@link FrameFuzzSeeds} generates.
 */
class FrameFuzzCorpusTest
{
    @Test
    void shouldKeepTheCheckedInSeedsInStepWithTheGenerator() throws Exception
    {
        final Path directory = corpusDirectory();
        for (final Map.Entry<String, byte[]> seed : FrameFuzzSeeds.seeds().entrySet())
        {
            final Path file = directory.resolve(seed.getKey());
            assertTrue(Files.isRegularFile(file), "missing seed " + file + ": run FrameFuzzSeeds.main");
            assertArrayEquals(seed.getValue(), Files.readAllBytes(file), seed.getKey());
        }
        assertTrue(FrameFuzzSeeds.seeds().size() >= 15);
    }

    @Test
    void shouldClassifyEveryNamedInputAsItsNameSays() throws Exception
    {
        int named = 0;
        for (final Path file : corpusFiles())
        {
            final String name = file.getFileName().toString();
            final String prefix = name.contains("-") ? name.substring(0, name.indexOf('-')) : name;
            if (Stream.of(MalformedReason.values()).anyMatch(reason -> reason.name().equals(prefix)))
            {
                final byte[] input = Files.readAllBytes(file);
                assertEquals(MalformedReason.valueOf(prefix),
                    FrameValidator.validate(MemorySegment.ofArray(input), 0, input.length), name);
                named++;
            }
        }
        assertTrue(named >= 15, "named seeds found: " + named);
    }

    @Test
    void shouldRunEveryCorpusInputThroughTheFuzzTarget() throws Exception
    {
        final FrameFuzzTarget target = new FrameFuzzTarget();
        final List<Path> files = corpusFiles();
        for (final Path file : files)
        {
            final byte[] input = Files.readAllBytes(file);
            assertDoesNotThrow(() -> target.exercise(input), file.getFileName().toString());
        }
        assertDoesNotThrow(() -> target.exercise(new byte[0]));
    }

    private static List<Path> corpusFiles() throws IOException, URISyntaxException
    {
        try (Stream<Path> files = Files.list(corpusDirectory()))
        {
            return files.filter(Files::isRegularFile).sorted().toList();
        }
    }

    private static Path corpusDirectory() throws URISyntaxException
    {
        final URL url = FrameFuzzCorpusTest.class.getClassLoader().getResource(FrameFuzzSeeds.DIRECTORY);
        assertNotNull(url, "no corpus directory " + FrameFuzzSeeds.DIRECTORY + " on the test class path");
        return Path.of(url.toURI());
    }
}
