package io.xts.link;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link LinkKey}: keys are validated where they enter (hex, at least 16 bytes, the file named in the error), and a
 * MAC verifies only the bytes and the key it was made with.
 */
class LinkKeyTest
{
    private static final String HEX = "000102030405060708090a0b0c0d0e0f";

    @Test
    void refusesKeysThatAreNotHexOrTooShortNamingTheFile(@TempDir final Path dir) throws Exception
    {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LinkKey.fromHex("00112233"))
            .getMessage().contains("at least 16 bytes"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LinkKey.fromHex("zz" + HEX))
            .getMessage().contains("hex"));
        final Path file = dir.resolve("bad.key");
        Files.writeString(file, "not a key");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LinkKey.fromFile(file)).getMessage()
            .startsWith(file.toString()));
        LinkKey.fromFile(Files.writeString(dir.resolve("good.key"), "  " + HEX + "\n"));
    }

    @Test
    void verifiesOnlyWhatItSignedWithTheSameKey()
    {
        final MemorySegment frame = Arena.ofAuto().allocate(128);
        for (int i = 0; i < 64; i++)
        {
            frame.set(ValueLayout.JAVA_BYTE, i, (byte)i);
        }
        final LinkKey key = LinkKey.fromHex(HEX);
        key.sign(frame, 0, 64, 64);
        assertTrue(key.verify(frame, 0, 64, 64));
        assertFalse(LinkKey.fromHex("ff" + HEX.substring(2)).verify(frame, 0, 64, 64), "another key");
        frame.set(ValueLayout.JAVA_BYTE, 10, (byte)99);
        assertFalse(key.verify(frame, 0, 64, 64), "a changed byte");
    }
}
