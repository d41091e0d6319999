/**
 * A {@link java.nio.channels.spi.SelectorProvider} over the XTS socket client: SocketChannel, ServerSocketChannel and
 * Selector of an unmodified Java program carried by the proxy ({@code xts run}).
 */
module io.xts.sockets.nio
{
    requires io.xts.sockets;

    exports io.xts.sockets.nio;
}
