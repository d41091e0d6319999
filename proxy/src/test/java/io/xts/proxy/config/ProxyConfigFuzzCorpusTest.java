package io.xts.proxy.config;

import org.junit.jupiter.api.Test;

import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Replays the configuration fuzz corpus as plain JUnit tests in the normal test JVM: every file in the inputs
 * directory of {@link ProxyConfigFuzzTest} (seeds and findings kept later) goes through {@link ProxyConfigFuzzTarget}.
 */
class ProxyConfigFuzzCorpusTest
{
    static final String DIRECTORY = "io/xts/proxy/config/ProxyConfigFuzzTestInputs/" + ProxyConfigFuzzTest.METHOD;

    @Test
    void shouldRunEveryCorpusInputThroughTheFuzzTarget() throws Exception
    {
        final URL url = ProxyConfigFuzzCorpusTest.class.getClassLoader().getResource(DIRECTORY);
        assertNotNull(url, "inputs directory " + DIRECTORY + " on the class path");
        final List<Path> files;
        try (Stream<Path> list = Files.list(Path.of(url.toURI())))
        {
            files = list.filter(Files::isRegularFile).sorted().toList();
        }
        assertTrue(files.size() >= 8, "inputs: " + files.size());
        final ProxyConfigFuzzTarget target = new ProxyConfigFuzzTarget();
        for (final Path file : files)
        {
            final byte[] input = Files.readAllBytes(file);
            assertDoesNotThrow(() -> target.exercise(input), file.getFileName().toString());
        }
        assertDoesNotThrow(() -> target.exercise(new byte[0]));
    }
}
