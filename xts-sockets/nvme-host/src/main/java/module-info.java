/**
 * The NVMe/TCP host (initiator) library: controllers and queues over kernel TCP (software) or through the proxy's
 * offload (XTS sockets with the nvme-tcp ULP).
 */
module io.xts.nvme.host
{
    requires transitive io.xts.nvme;
    requires transitive io.xts.sockets;

    exports io.xts.nvme.host;
}
