package io.xts.protocol;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

import static io.xts.protocol.SocketMessages.FAMILY_IPV4;
import static io.xts.protocol.SocketMessages.FAMILY_IPV6;
import static io.xts.protocol.SocketMessages.FAMILY_NONE;
import static io.xts.protocol.SocketMessages.SOCKADDR_ADDRESS_OFFSET;
import static io.xts.protocol.SocketMessages.SOCKADDR_FAMILY_OFFSET;
import static io.xts.protocol.SocketMessages.SOCKADDR_LENGTH;
import static io.xts.protocol.SocketMessages.SOCKADDR_PORT_OFFSET;
import static io.xts.protocol.XtsFrameDescriptor.BIG_ENDIAN_INT;
import static io.xts.protocol.XtsFrameDescriptor.BIG_ENDIAN_LONG;
import static io.xts.protocol.XtsFrameDescriptor.BIG_ENDIAN_SHORT;

/**
 * What the socket-operation body flyweights share: field access by offset with the wire's byte order, and the
 * 20-byte socket address block (family, port, 16 address bytes). Addresses are read into {@link InetSocketAddress}
 * objects: connects and accepts are control operations, not the data path, so they may allocate. A body that is
 * too short or has a bad address family is reported by {@link #isComplete()} and {@link #badAddress}, never by an
 * exception from deep inside.
 *
 * @param <T> the concrete flyweight.
 */
public abstract class SocketBodyFlyweight<T extends SocketBodyFlyweight<T>> extends PayloadFlyweight<T>
{
    /**
     * @return the body length every field needs.
     */
    protected abstract int requiredLength();

    /**
     * @return whether the wrapped body holds every field.
     */
    public final boolean isComplete()
    {
        return length >= requiredLength();
    }

    /**
     * @param at offset of an address block in the body.
     * @return null when the block holds a usable address, else what is wrong with it.
     */
    public final String badAddress(final int at)
    {
        final int family = u8(at + SOCKADDR_FAMILY_OFFSET);
        if (FAMILY_IPV4 != family && FAMILY_IPV6 != family)
        {
            return "address family " + family + " (expected 4 or 6)";
        }
        return null;
    }

    /**
     * @param at offset of an address block in the body.
     * @return the address, or null when the family is {@link SocketMessages#FAMILY_NONE} or unknown.
     */
    public final InetSocketAddress address(final int at)
    {
        final int family = u8(at + SOCKADDR_FAMILY_OFFSET);
        final int port = u16(at + SOCKADDR_PORT_OFFSET);
        final byte[] bytes = new byte[FAMILY_IPV4 == family ? 4 : 16];
        if (FAMILY_IPV4 != family && FAMILY_IPV6 != family)
        {
            return null;
        }
        MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, offset + at + SOCKADDR_ADDRESS_OFFSET, bytes, 0,
            bytes.length);
        try
        {
            return new InetSocketAddress(InetAddress.getByAddress(bytes), port);
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalStateException("cannot happen: address of " + bytes.length + " bytes", ex);
        }
    }

    /**
     * Write an address block.
     *
     * @param at      offset of the block in the body.
     * @param address the address, or null for "none" (family 0, all zero).
     * @return this.
     */
    public final T address(final int at, final InetSocketAddress address)
    {
        segment.asSlice(offset + at, SOCKADDR_LENGTH).fill((byte)0);
        if (null == address)
        {
            segment.set(ValueLayout.JAVA_BYTE, offset + at + SOCKADDR_FAMILY_OFFSET, (byte)FAMILY_NONE);
            return self();
        }
        final InetAddress ip = address.getAddress();
        if (null == ip)
        {
            throw new IllegalArgumentException("unresolved address " + address);
        }
        final byte[] bytes = ip.getAddress();
        final int family = ip instanceof Inet4Address ? FAMILY_IPV4 : FAMILY_IPV6;
        if (!(ip instanceof Inet4Address) && !(ip instanceof Inet6Address))
        {
            throw new IllegalArgumentException("unsupported address " + ip);
        }
        segment.set(ValueLayout.JAVA_BYTE, offset + at + SOCKADDR_FAMILY_OFFSET, (byte)family);
        segment.set(BIG_ENDIAN_SHORT, offset + at + SOCKADDR_PORT_OFFSET, (short)address.getPort());
        MemorySegment.copy(bytes, 0, segment, ValueLayout.JAVA_BYTE, offset + at + SOCKADDR_ADDRESS_OFFSET,
            bytes.length);
        return self();
    }

    /** @param at field offset. @return the unsigned byte. */
    protected final int u8(final int at)
    {
        return segment.get(ValueLayout.JAVA_BYTE, offset + at) & 0xFF;
    }

    /** @param at field offset. @param value the low 8 bits are written. */
    protected final void u8(final int at, final int value)
    {
        segment.set(ValueLayout.JAVA_BYTE, offset + at, (byte)value);
    }

    /** @param at field offset. @return the u16. */
    protected final int u16(final int at)
    {
        return segment.get(BIG_ENDIAN_SHORT, offset + at) & 0xFFFF;
    }

    /** @param at field offset. @param value the low 16 bits are written. */
    protected final void u16(final int at, final int value)
    {
        segment.set(BIG_ENDIAN_SHORT, offset + at, (short)value);
    }

    /** @param at field offset. @return the 32-bit field. */
    protected final int i32(final int at)
    {
        return segment.get(BIG_ENDIAN_INT, offset + at);
    }

    /** @param at field offset. @param value the value. */
    protected final void i32(final int at, final int value)
    {
        segment.set(BIG_ENDIAN_INT, offset + at, value);
    }

    /** @param at field offset. @return the 64-bit field. */
    protected final long i64(final int at)
    {
        return segment.get(BIG_ENDIAN_LONG, offset + at);
    }

    /** @param at field offset. @param value the value. */
    protected final void i64(final int at, final long value)
    {
        segment.set(BIG_ENDIAN_LONG, offset + at, value);
    }
}
