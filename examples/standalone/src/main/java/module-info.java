/**
 * A standalone application on the module path: it needs only the XTS socket client.
 */
module example.fetch
{
    requires io.xts.sockets;
}
