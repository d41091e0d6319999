package io.xts.xsk;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Validation of {@link XskSocket.Config}: interface name, queue, ring sizes and retries are checked where they enter,
 * with messages naming the value, before any native call; the copy-with methods change one thing only. Needs no
 * privileges.
 */
class XskSocketConfigTest
{
    @Test
    void shouldRejectAnEmptyInterfaceName()
    {
        final String message = rejected(() -> XskSocket.Config.of("", 0));
        assertEquals("interface name must be 1-15 characters, got ''", message);
    }

    @Test
    void shouldRejectAnInterfaceNameLongerThanTheKernelAllows()
    {
        final String name = "sixteen-chars-xx";
        assertEquals(16, name.length());
        final String message = rejected(() -> XskSocket.Config.of(name, 0));
        assertTrue(message.contains("1-15 characters") && message.contains(name), message);
        assertDoesNotThrow(() -> XskSocket.Config.of("fifteen-chars-x", 0));
    }

    @Test
    void shouldRejectMissingValuesByName()
    {
        final NullPointerException noName = assertThrows(
            NullPointerException.class, () -> new XskSocket.Config(null, 0, 64, 64, BindMode.COPY, true, false, 0));
        assertEquals("ifname", noName.getMessage());
        final NullPointerException noMode = assertThrows(
            NullPointerException.class, () -> new XskSocket.Config("veth0", 0, 64, 64, null, true, false, 0));
        assertEquals("bindMode", noMode.getMessage());
    }

    @Test
    void shouldRejectANegativeQueue()
    {
        assertEquals("queue must be >= 0, got -1", rejected(() -> XskSocket.Config.of("veth0", -1)));
    }

    @Test
    void shouldRejectASocketWithNeitherRing()
    {
        final String message = rejected(() -> XskSocket.Config.of("veth0", 0).rings(0, 0));
        assertEquals("a socket needs an RX ring, a TX ring, or both", message);
    }

    @Test
    void shouldAcceptASocketWithOnlyOneRing()
    {
        final XskSocket.Config txOnly = XskSocket.Config.of("veth0", 0).rings(0, 512);
        assertEquals(0, txOnly.rxSize());
        assertEquals(512, txOnly.txSize());
        final XskSocket.Config rxOnly = XskSocket.Config.of("veth0", 0).rings(1024, 0);
        assertEquals(1024, rxOnly.rxSize());
        assertEquals(0, rxOnly.txSize());
    }

    @ParameterizedTest(name = "RX ring size {0}")
    @ValueSource(ints = {3, 100, 4097, -4})
    void shouldRejectAnRxRingSizeThatIsNotAPowerOfTwo(final int size)
    {
        final String message = rejected(() -> XskSocket.Config.of("veth0", 0).rings(size, 64));
        assertEquals("RX ring size must be a power of two, got " + size, message);
    }

    @ParameterizedTest(name = "TX ring size {0}")
    @ValueSource(ints = {3, 100, 4097, -4})
    void shouldRejectATxRingSizeThatIsNotAPowerOfTwo(final int size)
    {
        final String message = rejected(() -> XskSocket.Config.of("veth0", 0).rings(64, size));
        assertEquals("TX ring size must be a power of two, got " + size, message);
    }

    @Test
    void shouldRejectNegativeBindRetries()
    {
        final String message = rejected(
            () -> new XskSocket.Config("veth0", 0, 64, 64, BindMode.COPY, true, false, -1));
        assertEquals("bind retries must be >= 0, got -1", message);
    }

    @Test
    void shouldDefaultToCopyModeWithNeedWakeupAndRetries()
    {
        final XskSocket.Config config = XskSocket.Config.of("veth0", 2);
        assertEquals("veth0", config.ifname());
        assertEquals(2, config.queue());
        assertEquals(4096, config.rxSize());
        assertEquals(4096, config.txSize());
        assertEquals(BindMode.COPY, config.bindMode());
        assertTrue(config.needWakeup());
        assertFalse(config.multiBuffer());
        assertEquals(20, config.bindRetries());
    }

    @Test
    void shouldChangeOnlyWhatEachCopyMethodNames()
    {
        final XskSocket.Config base = XskSocket.Config.of("veth0", 1);
        assertEquals(
            new XskSocket.Config("veth0", 1, 4096, 4096, BindMode.ZERO_COPY, true, false, 20),
            base.bindMode(BindMode.ZERO_COPY));
        assertEquals(
            new XskSocket.Config("veth0", 1, 4096, 4096, BindMode.COPY, true, true, 20), base.multiBuffer(true));
        assertEquals(
            new XskSocket.Config("veth0", 1, 4096, 4096, BindMode.COPY, false, false, 20), base.needWakeup(false));
        assertEquals(
            new XskSocket.Config("veth0", 1, 256, 128, BindMode.COPY, true, false, 20), base.rings(256, 128));
    }

    private static String rejected(final Executable construction)
    {
        return assertThrows(IllegalArgumentException.class, construction).getMessage();
    }
}
