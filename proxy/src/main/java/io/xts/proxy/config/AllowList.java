package io.xts.proxy.config;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * What an app host may ask the proxy to do with the network: the destinations it may connect to (networks, each
 * with its ports) and the local addresses and ports it may listen on. Everything else is refused with EACCES. The
 * proxy runs on a host with real network access on behalf of a remote app host, so the default is narrow (the
 * benchmarking range 198.18.0.0/15 and the unique-local fd00::/8), not open; see {@link ProxyConfig#defaults()}.
 *
 * @param connect       destinations allowed for CONNECT.
 * @param listenPorts   ports allowed for LISTEN (a LISTEN of port 0 lets the kernel pick an ephemeral port, which
 *                      is allowed whatever this says: the app asked for no port in particular).
 * @param listenAddress local addresses allowed for LISTEN (the wildcard 0.0.0.0 or :: only when a network holding
 *                      it, such as 0.0.0.0/0, is listed).
 */
public record AllowList(List<Rule> connect, PortRanges listenPorts, List<Cidr> listenAddress)
{
    /**
     * One connect rule: a network and the ports allowed in it.
     *
     * @param cidr  the network.
     * @param ports its ports.
     */
    public record Rule(Cidr cidr, PortRanges ports)
    {
    }

    /** Copies the lists so the allow-list cannot change after validation. */
    public AllowList
    {
        connect = List.copyOf(connect);
        listenAddress = List.copyOf(listenAddress);
    }

    /**
     * @param remote a CONNECT destination.
     * @return whether a rule allows it.
     */
    public boolean allowsConnect(final InetSocketAddress remote)
    {
        for (final Rule rule : connect)
        {
            if (rule.cidr().contains(remote.getAddress()) && rule.ports().contains(remote.getPort()))
            {
                return true;
            }
        }
        return false;
    }

    /**
     * @param local a LISTEN address.
     * @return whether listening there is allowed.
     */
    public boolean allowsListen(final InetSocketAddress local)
    {
        if (0 != local.getPort() && !listenPorts.contains(local.getPort()))
        {
            return false;
        }
        for (final Cidr cidr : listenAddress)
        {
            if (cidr.contains(local.getAddress()))
            {
                return true;
            }
        }
        return false;
    }
}
