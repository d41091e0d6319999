/**
 * The app host's socket API over XTS ({@code docs/PROTOCOL.md} "Socket operations"): {@link io.xts.sockets.XtsStack}
 * owns the link to the offload proxy and drives it; {@link io.xts.sockets.XtsSocket},
 * {@link io.xts.sockets.XtsServerSocket} and {@link io.xts.sockets.XtsSelector} are used like the JDK's socket
 * channels, server socket channels and selectors, while the proxy does TCP with kernel sockets. Every socket's state
 * is guarded by its stack's lock; failures are the java.net exceptions the JDK's sockets throw. The NVMe/TCP offload
 * messages of a socket ({@link io.xts.sockets.UlpListener}) ride on the same link.
 */
package io.xts.sockets;
