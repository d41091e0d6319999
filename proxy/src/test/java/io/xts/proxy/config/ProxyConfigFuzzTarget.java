package io.xts.proxy.config;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Feeds any text to the proxy's configuration parser ({@link ProxyConfig#parse}), as an operator's (or an
 * attacker's) file could hold it. The only outcomes allowed: a configuration whose every value passed validation
 * (limits positive, the allow-lists usable for any address), or an {@link IllegalArgumentException} whose message says
 * what was wrong. Any other exception or error (a NullPointerException, a NumberFormatException, a ClassCastException,
 * a StackOverflowError on deep nesting) is a finding.
 */
final class ProxyConfigFuzzTarget
{
    private static final InetSocketAddress[] PROBES = probes();

    private static InetSocketAddress[] probes()
    {
        try
        {
            return new InetSocketAddress[] {
                new InetSocketAddress(InetAddress.getByName("198.18.0.1"), 80),
                new InetSocketAddress(InetAddress.getByName("0.0.0.0"), 0),
                new InetSocketAddress(InetAddress.getByName("255.255.255.255"), 65535),
                new InetSocketAddress(InetAddress.getByName("::1"), 443),
                new InetSocketAddress(InetAddress.getByName("fd00::1"), 1024)};
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    void exercise(final byte[] input)
    {
        final String text = new String(input, StandardCharsets.UTF_8);
        final ProxyConfig config;
        try
        {
            config = ProxyConfig.parse(text);
        }
        catch (final IllegalArgumentException ex)
        {
            assertNotNull(ex.getMessage(), "a refusal says why");
            assertFalse(ex.getMessage().isBlank(), "a refusal says why");
            return;
        }
        final ProxyConfig.Limits limits = config.limits();
        assertTrue(limits.socketsPerLink() > 0 && limits.listenersPerLink() > 0 &&
            limits.bytesInFlightPerLink() > 0 && limits.sendWindow() > 0 && limits.connectTimeoutMs() > 0,
            "limits validated: " + limits);
        final ProxyConfig.NvmeOffload nvme = config.nvmeOffload();
        assertTrue(nvme.maxQueuesPerLink() > 0 && nvme.maxRegistrationsPerQueue() > 0 &&
            nvme.maxRegistrationLength() > 0, "offload limits validated: " + nvme);
        for (final InetSocketAddress probe : PROBES)
        {
            // Usable for any address: answers, never throws.
            config.allow().allowsConnect(probe);
            config.allow().allowsListen(probe);
        }
        // What parsed once parses again the same way.
        assertEquals(config.limits(), ProxyConfig.parse(text).limits());
    }
}
