package io.xts.protocol;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;

import static io.xts.protocol.SocketMessages.ECONNREFUSED;
import static io.xts.protocol.SocketMessages.EBADF;
import static io.xts.protocol.SocketMessages.FLAG_SO_REUSEADDR;
import static io.xts.protocol.SocketMessages.FLAG_TCP_NODELAY;
import static io.xts.protocol.SocketMessages.OPTION_SO_RCVBUF;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_CONNECT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Round trips of every socket-operation body through its flyweight, the wire layout of the address block as
 * docs/PROTOCOL.md states it, the completeness checks that guard short bodies, and {@link MessageWriter#trimLast}.
 */
class SocketFlyweightsTest
{
    private final MemorySegment memory = Arena.ofAuto().allocate(4096);

    @Test
    void connectRoundTripsWithIpv4AndIpv6() throws Exception
    {
        final ConnectFlyweight connect = new ConnectFlyweight().wrap(memory, 100, ConnectFlyweight.LENGTH);
        final InetSocketAddress v4 = new InetSocketAddress(InetAddress.getByName("198.18.1.2"), 8080);
        connect.remote(v4).timeoutMillis(1500).receiveWindow(0xFFFF_FFF0L).flags(FLAG_TCP_NODELAY | FLAG_SO_REUSEADDR)
            .receiveBuffer(1 << 20).sendBuffer(0);
        assertTrue(connect.isComplete());
        assertEquals(v4, connect.remote());
        assertEquals(1500, connect.timeoutMillis());
        assertEquals(0xFFFF_FFF0L, connect.receiveWindow());
        assertEquals(FLAG_TCP_NODELAY | FLAG_SO_REUSEADDR, connect.flags());
        assertEquals(1 << 20, connect.receiveBuffer());
        // Wire layout: family 4 at byte 0, port big-endian at 2, address at 4, the rest zero.
        assertEquals(4, memory.get(ValueLayout.JAVA_BYTE, 100));
        assertEquals((byte)(8080 >> 8), memory.get(ValueLayout.JAVA_BYTE, 102));
        assertEquals((byte)198, memory.get(ValueLayout.JAVA_BYTE, 104));
        assertEquals(0, memory.get(ValueLayout.JAVA_BYTE, 108));

        final InetSocketAddress v6 = new InetSocketAddress(InetAddress.getByName("fd00:c612:1::2"), 443);
        connect.remote(v6);
        assertEquals(v6, connect.remote());
        assertNull(connect.badAddress(SocketMessages.CONNECT_REMOTE_OFFSET));
    }

    @Test
    void establishedCarriesErrnoOrListenerAndBothAddresses() throws Exception
    {
        final EstablishedFlyweight result = new EstablishedFlyweight().wrap(memory, 0, EstablishedFlyweight.LENGTH);
        final InetSocketAddress local = new InetSocketAddress(InetAddress.getByName("198.18.1.1"), 40000);
        final InetSocketAddress remote = new InetSocketAddress(InetAddress.getByName("198.18.1.2"), 80);
        result.errno(0).sendWindow(262144).local(local).remote(remote);
        assertEquals(0, result.errno());
        assertEquals(262144, result.sendWindow());
        assertEquals(local, result.local());
        assertEquals(remote, result.remote());
        result.errno(ECONNREFUSED).local(null).remote(null);
        assertEquals(ECONNREFUSED, result.errno());
        assertNull(result.local(), "family 0 reads as no address");
        assertNotNull(result.badAddress(SocketMessages.ESTABLISHED_LOCAL_OFFSET), "family 0 is not usable");
        result.listenerId(7);
        assertEquals(7, result.listenerId());
    }

    @Test
    void listenResetOptionsAndErrorRoundTrip() throws Exception
    {
        final ListenFlyweight listen = new ListenFlyweight().wrap(memory, 0, ListenFlyweight.LENGTH);
        listen.local(new InetSocketAddress(InetAddress.getByName("0.0.0.0"), 0)).backlog(128).receiveWindow(65536)
            .flags(0);
        assertEquals(0, listen.local().getPort());
        assertEquals(128, listen.backlog());

        final ListenResultFlyweight listenResult = new ListenResultFlyweight().wrap(memory, 64,
            ListenResultFlyweight.LENGTH);
        listenResult.errno(0).bound(new InetSocketAddress(InetAddress.getByName("198.18.1.1"), 8080));
        assertEquals(8080, listenResult.bound().getPort());

        final SocketResetFlyweight reset = new SocketResetFlyweight().wrap(memory, 128, SocketResetFlyweight.LENGTH);
        assertEquals(104, reset.errno(104).errno());

        final SetOptionFlyweight set = new SetOptionFlyweight().wrap(memory, 160, SetOptionFlyweight.LENGTH);
        set.option(OPTION_SO_RCVBUF).value(1L << 33);
        assertEquals(OPTION_SO_RCVBUF, set.option());
        assertEquals(1L << 33, set.value());

        final OptionResultFlyweight optionResult = new OptionResultFlyweight().wrap(memory, 192,
            OptionResultFlyweight.LENGTH);
        optionResult.option(OPTION_SO_RCVBUF).errno(0).value(425984);
        assertEquals(425984, optionResult.value());

        final String text = "no socket 42 on this link";
        final SocketErrorFlyweight error = new SocketErrorFlyweight().wrap(memory, 256,
            SocketErrorFlyweight.lengthFor(text));
        assertEquals(SocketErrorFlyweight.lengthFor(text), error.write(EBADF, TYPE_SOCKET_CONNECT, text));
        assertEquals(EBADF, error.errno());
        assertEquals(TYPE_SOCKET_CONNECT, error.offendingType());
        assertEquals(text, error.text());
        assertTrue(SocketMessages.describe(EBADF).startsWith("EBADF"));
    }

    @Test
    void shortBodiesAndBadFamiliesAreReportedNotThrown()
    {
        final ConnectFlyweight connect = new ConnectFlyweight().wrap(memory, 0, ConnectFlyweight.LENGTH - 1);
        assertFalse(connect.isComplete());
        memory.set(ValueLayout.JAVA_BYTE, 0, (byte)9);
        assertEquals("address family 9 (expected 4 or 6)", connect.badAddress(0));
        assertNull(connect.remote());
    }

    @Test
    void trimLastShortensOrWithdrawsTheLastClaim()
    {
        final MessageWriter writer = new MessageWriter().wrap(memory, 0, 2048);
        writer.claim(XtsFrameDescriptor.TYPE_SOCKET_DATA, 1, 100);
        final int afterFirst = writer.payloadLength();
        writer.claim(XtsFrameDescriptor.TYPE_SOCKET_DATA, 2, 1000);
        writer.trimLast(10);
        assertEquals(afterFirst + 8 + 12, writer.payloadLength(), "10 bytes padded to 12 after an 8-byte header");
        writer.claim(XtsFrameDescriptor.TYPE_SOCKET_DATA, 3, 500);
        writer.trimLast(0);
        assertEquals(afterFirst + 20, writer.payloadLength(), "a withdrawn claim leaves nothing");
        assertEquals(2, writer.messageCount());
        final int length = writer.commit();
        final MessageReader reader = new MessageReader().wrap(memory, 0, length);
        assertTrue(reader.next());
        assertEquals(100, reader.length());
        assertTrue(reader.next());
        assertEquals(10, reader.length());
        assertEquals(2, reader.streamId());
        assertFalse(reader.next());
        assertThrows(IllegalStateException.class, () -> writer.trimLast(0));
    }
}
