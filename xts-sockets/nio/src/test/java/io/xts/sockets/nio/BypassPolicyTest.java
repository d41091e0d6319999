package io.xts.sockets.nio;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which addresses the JDK keeps: loopback and link-local always, the configured networks, never the wildcard; a bad
 * setting is refused naming the entry.
 */
class BypassPolicyTest
{
    @Test
    void loopbackAndLinkLocalAlwaysBypass() throws Exception
    {
        final BypassPolicy policy = BypassPolicy.parse(null);
        assertTrue(policy.bypasses(InetAddress.getByName("127.0.0.1")));
        assertTrue(policy.bypasses(InetAddress.getByName("::1")));
        assertTrue(policy.bypasses(InetAddress.getByName("169.254.1.2")));
        assertFalse(policy.bypasses(InetAddress.getByName("198.18.1.2")));
        assertFalse(policy.bypasses(InetAddress.getByName("0.0.0.0")), "the wildcard is XTS's");
        assertFalse(policy.bypasses(null));
    }

    @Test
    void configuredNetworksBypass() throws Exception
    {
        final BypassPolicy policy = BypassPolicy.parse(" 10.0.0.0/8, 198.18.2.0/23,fd00:c612:2::/48 ,192.0.2.7");
        assertTrue(policy.bypasses(InetAddress.getByName("10.255.0.1")));
        assertTrue(policy.bypasses(InetAddress.getByName("198.18.3.200")));
        assertFalse(policy.bypasses(InetAddress.getByName("198.18.4.1")));
        assertTrue(policy.bypasses(InetAddress.getByName("fd00:c612:2::2")));
        assertFalse(policy.bypasses(InetAddress.getByName("fd00:c612:1::2")));
        assertTrue(policy.bypasses(InetAddress.getByName("192.0.2.7")));
        assertFalse(policy.bypasses(InetAddress.getByName("192.0.2.8")));
    }

    @Test
    void badEntriesAreRefusedByName()
    {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> BypassPolicy.parse("10.0.0.0/33"))
            .getMessage().contains("10.0.0.0/33"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> BypassPolicy.parse("example.com/8"))
            .getMessage().contains("example.com/8"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> BypassPolicy.parse("10.0.0.0/x"))
            .getMessage().contains("10.0.0.0/x"));
    }
}
