/**
 * xts link-stream: a stream of messages over the bare XTS link (no sockets), for the link benchmark and the link
 * system test, with optional injected loss.
 */
package io.xts.tools.link;
