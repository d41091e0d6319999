/**
 * The XTS {@link java.nio.channels.spi.SelectorProvider}: {@link io.xts.sockets.nio.XtsSelectorProvider} routes each
 * TCP channel to the XTS stack or, for loopback and the configured bypass networks, to the JDK's own provider, and
 * its selector selects over both kinds at once. UDP, pipes and Unix domain sockets are the JDK's.
 */
package io.xts.sockets.nio;
