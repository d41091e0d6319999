package io.xts.proxy.nvme;

import org.junit.jupiter.api.Test;

import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Replays the NVMe/TCP offload fuzz corpus as plain JUnit tests in the normal test JVM: every file in the inputs
 * directory of {@link NvmeOffloadFuzzTest} (seeds and findings kept later) goes through {@link NvmeOffloadFuzzTarget},
 * and the checked-in seeds must equal what {@link NvmeOffloadFuzzSeeds} generates.
 */
class NvmeOffloadFuzzCorpusTest
{
    private static Path directory() throws Exception
    {
        final URL url = NvmeOffloadFuzzCorpusTest.class.getClassLoader().getResource(NvmeOffloadFuzzSeeds.DIRECTORY);
        assertNotNull(url, "inputs directory " + NvmeOffloadFuzzSeeds.DIRECTORY + " on the class path");
        return Path.of(url.toURI());
    }

    @Test
    void shouldKeepTheCheckedInSeedsInStepWithTheGenerator() throws Exception
    {
        final Path directory = directory();
        for (final Map.Entry<String, byte[]> seed : NvmeOffloadFuzzSeeds.seeds().entrySet())
        {
            final Path file = directory.resolve(seed.getKey());
            assertTrue(Files.isRegularFile(file), "missing seed " + file + ": run NvmeOffloadFuzzSeeds.main");
            assertArrayEquals(seed.getValue(), Files.readAllBytes(file), seed.getKey());
        }
    }

    @Test
    void shouldRunEveryCorpusInputThroughTheFuzzTarget() throws Exception
    {
        final NvmeOffloadFuzzTarget target = new NvmeOffloadFuzzTarget();
        final List<Path> files;
        try (Stream<Path> list = Files.list(directory()))
        {
            files = list.filter(Files::isRegularFile).sorted().toList();
        }
        assertTrue(files.size() >= NvmeOffloadFuzzSeeds.seeds().size(), "inputs: " + files.size());
        for (final Path file : files)
        {
            final byte[] input = Files.readAllBytes(file);
            assertDoesNotThrow(() -> target.exercise(input), file.getFileName().toString());
        }
        assertDoesNotThrow(() -> target.exercise(new byte[0]));
    }
}
