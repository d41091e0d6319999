package io.xts.status;

import org.agrona.concurrent.status.AtomicCounter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Unit tests of {@link CountersFile}: what one mapping writes, another reads live; a file that is not ours is refused
 * with a clear message; the owner removes the file on close.
 */
class CountersFileTest
{
    @TempDir
    Path dir;

    @Test
    void shouldLetAnotherMappingReadCountersLive()
    {
        final Path path = dir.resolve("a.counters");
        try (CountersFile writer = CountersFile.create(path, 16))
        {
            final AtomicCounter frames = writer.manager().newCounter("link x frames-sent", 1001);
            final AtomicCounter bytes = writer.manager().newCounter("link x bytes-sent", 1001);
            frames.setOrdered(7);
            bytes.setOrdered(4096);
            try (CountersFile reader = CountersFile.openForReading(path))
            {
                assertEquals(ProcessHandle.current().pid(), reader.pid());
                assertTrue(reader.startTimeMs() > 0);
                assertEquals(Map.of("link x frames-sent", 7L, "link x bytes-sent", 4096L), values(reader));
                frames.increment();
                assertEquals(8L, values(reader).get("link x frames-sent"), "seen live, no reopen");
                assertThrows(IllegalStateException.class, reader::manager, "a reader cannot allocate");
            }
        }
        assertFalse(Files.exists(path), "the owner removes its file");
    }

    @Test
    void shouldRefuseAFileThatIsNotACountersFile() throws Exception
    {
        final Path path = dir.resolve("junk.counters");
        Files.write(path, new byte[4096]);
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> CountersFile.openForReading(path));
        assertTrue(ex.getMessage().contains("not an XTS counters file"), ex.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CountersFile.openForReading(dir.resolve("missing")));
        assertThrows(IllegalArgumentException.class, () -> CountersFile.create(dir.resolve("z"), 0));
    }

    private static Map<String, Long> values(final CountersFile file)
    {
        final Map<String, Long> values = new HashMap<>();
        file.reader().forEach((value, id, label) -> values.put(label, value));
        return values;
    }
}
