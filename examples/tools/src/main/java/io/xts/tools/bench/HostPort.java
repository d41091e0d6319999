package io.xts.tools.bench;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * The {@code --target HOST:PORT} option of the benchmark clients, validated where it enters: the last colon splits
 * host from port (so an IPv6 literal works), the host is resolved, and a malformed value is refused naming it.
 */
final class HostPort
{
    private HostPort()
    {
    }

    /**
     * @param target the option's value.
     * @return the address it names.
     * @throws IllegalArgumentException when it is not HOST:PORT.
     * @throws UnknownHostException     when the host does not resolve.
     */
    static InetSocketAddress parse(final String target) throws UnknownHostException
    {
        final int colon = target.lastIndexOf(':');
        if (colon <= 0)
        {
            throw new IllegalArgumentException("--target must be HOST:PORT, got '" + target + "'");
        }
        return new InetSocketAddress(InetAddress.getByName(target.substring(0, colon)),
            Integer.parseInt(target.substring(colon + 1)));
    }
}
