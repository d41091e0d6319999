/**
 * The offload proxy: the link endpoint on the SmartNIC side, TCP termination with the kernel's sockets, per-socket
 * flow control, the NVMe/TCP offload engine, counters, configuration and the {@code xts proxy} command. It stands
 * beside the socket client above the link, never on top of it: it needs the link and the NVMe/TCP codecs only.
 */
module io.xts.proxy
{
    requires io.xts.link;
    requires io.xts.nvme;
    requires info.picocli;
    requires com.fasterxml.jackson.databind;

    exports io.xts.proxy;
    exports io.xts.proxy.config;

    // picocli fills the command's option fields by reflection.
    opens io.xts.proxy to info.picocli;
}
