/**
 * What both ends of an XTS link share: the wire protocol's codecs, the link (handshake, credits, sequencing,
 * recovery, heartbeats) over AF_XDP or memory, and the counters file.
 */
module io.xts.link
{
    requires transitive io.xts.bindings;
    requires transitive org.agrona;

    exports io.xts.protocol;
    exports io.xts.link;
    exports io.xts.status;
}
