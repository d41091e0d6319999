package io.xts.sockets.nio;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Which addresses keep going to the JDK's own TCP instead of the proxy: loopback, link-local, and the networks given
 * in the system property {@code xts.nio.bypass} (comma-separated CIDRs, IPv4 or IPv6, e.g.
 * {@code 10.0.0.0/8,fd00::/8}). Parsed once where the setting enters; a malformed entry is an
 * {@link IllegalArgumentException} naming it, so a typo never silently sends traffic the wrong way.
 */
public final class BypassPolicy
{
    /** The system property with the extra bypass networks. */
    public static final String PROPERTY = "xts.nio.bypass";

    private final List<byte[]> networks = new ArrayList<>();
    private final List<Integer> prefixes = new ArrayList<>();

    private BypassPolicy()
    {
    }

    /**
     * @param cidrs comma-separated CIDRs, may be null or blank.
     * @return the policy.
     * @throws IllegalArgumentException naming a malformed entry.
     */
    public static BypassPolicy parse(final String cidrs)
    {
        final BypassPolicy policy = new BypassPolicy();
        if (null == cidrs || cidrs.isBlank())
        {
            return policy;
        }
        for (final String raw : cidrs.split(","))
        {
            final String entry = raw.trim();
            if (entry.isEmpty())
            {
                continue;
            }
            final int slash = entry.indexOf('/');
            final String host = slash < 0 ? entry : entry.substring(0, slash);
            if (!host.matches("[0-9A-Fa-f:.]+"))
            {
                throw new IllegalArgumentException(PROPERTY + ": '" + entry + "' is not an IP address or CIDR");
            }
            final byte[] address;
            try
            {
                address = InetAddress.getByName(host).getAddress();
            }
            catch (final UnknownHostException ex)
            {
                throw new IllegalArgumentException(PROPERTY + ": '" + entry + "' is not an IP address or CIDR", ex);
            }
            final int prefix;
            try
            {
                prefix = slash < 0 ? address.length * 8 : Integer.parseInt(entry.substring(slash + 1));
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException(PROPERTY + ": bad prefix length in '" + entry + "'", ex);
            }
            if (prefix < 0 || prefix > address.length * 8)
            {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "%s: prefix length %d out of range 0..%d in '%s'", PROPERTY, prefix, address.length * 8, entry));
            }
            policy.networks.add(address);
            policy.prefixes.add(prefix);
        }
        return policy;
    }

    /**
     * @param address a resolved address, or null (the wildcard).
     * @return whether the JDK's own TCP carries it.
     */
    public boolean bypasses(final InetAddress address)
    {
        if (null == address || address.isAnyLocalAddress())
        {
            return false;
        }
        if (address.isLoopbackAddress() || address.isLinkLocalAddress())
        {
            return true;
        }
        final byte[] bytes = address.getAddress();
        for (int i = 0; i < networks.size(); i++)
        {
            if (matches(networks.get(i), prefixes.get(i), bytes))
            {
                return true;
            }
        }
        return false;
    }

    private static boolean matches(final byte[] network, final int prefix, final byte[] address)
    {
        if (network.length != address.length)
        {
            return false;
        }
        final int whole = prefix / 8;
        for (int i = 0; i < whole; i++)
        {
            if (network[i] != address[i])
            {
                return false;
            }
        }
        final int rest = prefix % 8;
        if (0 == rest)
        {
            return true;
        }
        final int mask = (0xFF << (8 - rest)) & 0xFF;
        return (network[whole] & mask) == (address[whole] & mask);
    }
}
