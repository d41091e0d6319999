/**
 * The XTS link between an app host and its proxy: handshake with versions and epochs, frame credits granted from
 * free RX buffers, sequence numbers with go-back-N recovery, acknowledgements, heartbeats and the RFC 6298
 * retransmit timer, over a FrameTransport (AF_XDP through XskFrameTransport and XskLinkEndpoint, or in memory for
 * tests). Both ends use it; it knows frames and messages, not sockets.
 */
package io.xts.link;
