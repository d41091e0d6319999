/**
 * The socket client of XTS: an application's TCP sockets, server sockets and readiness selection, carried over the
 * link to the proxy.
 */
module io.xts.sockets
{
    requires transitive io.xts.link;

    exports io.xts.sockets;
}
