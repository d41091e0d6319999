/**
 * The offload proxy: the link endpoint toward app hosts ({@link io.xts.proxy.ProxyAgent} in the one-thread mode,
 * {@link io.xts.proxy.LinkAgent} and {@link io.xts.proxy.TcpAgent} over hand-off rings in the two-thread mode), one
 * {@link io.xts.proxy.LinkSession} per link with its socket table, the TCP termination with kernel sockets and
 * per-socket flow control (TCP connections and listeners), the counters and events an operator watches, and the
 * {@code xts proxy} command ({@link io.xts.proxy.ProxyCommand}). The configuration is in {@code io.xts.proxy.config},
 * the NVMe/TCP offload engine in {@code io.xts.proxy.nvme}.
 */
package io.xts.proxy;
