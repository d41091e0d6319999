/**
 * Codecs of the XTS link protocol version 1 ({@code docs/PROTOCOL.md}): {@link io.xts.protocol.XtsFrameDescriptor}
 * for the layout, flyweights over {@link java.lang.foreign.MemorySegment} for the frame header and each payload,
 * {@link io.xts.protocol.MessageWriter} and {@link io.xts.protocol.MessageReader} for the messages of DATA frames,
 * and {@link io.xts.protocol.FrameValidator} for the structural check of received frames. Everything is big-endian,
 * encodes and decodes in place and allocates nothing per frame or message.
 */
package io.xts.protocol;
