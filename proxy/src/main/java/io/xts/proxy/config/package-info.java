/**
 * The proxy's configuration: {@link io.xts.proxy.config.ProxyConfig}, read from a JSON file and validated where it
 * enters, with what app hosts may connect to and listen on ({@link io.xts.proxy.config.AllowList} of
 * {@link io.xts.proxy.config.Cidr} networks and {@link io.xts.proxy.config.PortRanges}), how much of the proxy each
 * link may hold (limits) and how far the NVMe/TCP offload may go. Immutable values, shared by every agent and link.
 */
package io.xts.proxy.config;
