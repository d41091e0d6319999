package io.xts.proxy.config;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * An IPv4 or IPv6 network in CIDR notation ("198.18.0.0/15", "fd00::/8"), the unit of the proxy's allow-lists.
 * Parsed only from literal addresses (never resolved through DNS, so a configuration cannot make the proxy look
 * names up), and validated where it enters: a prefix longer than the family allows, or host bits set below the
 * prefix (usually a typo for another network), is refused with a message naming the value.
 */
public final class Cidr
{
    private final byte[] network;
    private final int prefixLength;
    private final String text;

    private Cidr(final byte[] network, final int prefixLength, final String text)
    {
        this.network = network;
        this.prefixLength = prefixLength;
        this.text = text;
    }

    /**
     * @param text "address/prefix"; an address alone means the single host (/32 or /128).
     * @return the network.
     * @throws IllegalArgumentException saying what is wrong with {@code text}.
     */
    public static Cidr parse(final String text)
    {
        if (null == text || text.isBlank())
        {
            throw new IllegalArgumentException("empty CIDR");
        }
        final int slash = text.indexOf('/');
        final String addressText = -1 == slash ? text : text.substring(0, slash);
        final byte[] bytes = literal(addressText, text);
        final int max = bytes.length * 8;
        int prefix = max;
        if (-1 != slash)
        {
            try
            {
                prefix = Integer.parseInt(text.substring(slash + 1));
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException("'" + text + "' has no numeric prefix length after '/'");
            }
            if (prefix < 0 || prefix > max)
            {
                throw new IllegalArgumentException("'" + text + "': prefix length " + prefix + " is outside 0.." + max +
                    " for " + (4 == bytes.length ? "IPv4" : "IPv6"));
            }
        }
        for (int bit = prefix; bit < max; bit++)
        {
            if (0 != (bytes[bit >> 3] & (0x80 >> (bit & 7))))
            {
                throw new IllegalArgumentException("'" + text + "' has host bits set below the /" + prefix +
                    " prefix (did you mean " + masked(bytes, prefix) + "/" + prefix + "?)");
            }
        }
        return new Cidr(bytes, prefix, text);
    }

    private static byte[] literal(final String address, final String whole)
    {
        // Only literals: InetAddress.getByName would resolve a host name.
        final boolean v4 = address.matches("\\d{1,3}(\\.\\d{1,3}){3}");
        final boolean v6 = address.contains(":") && address.matches("[0-9A-Fa-f:.]+");
        if (!v4 && !v6)
        {
            throw new IllegalArgumentException("'" + whole + "' is not an IPv4 or IPv6 literal address with a prefix");
        }
        if (v4)
        {
            final String[] parts = address.split("\\.");
            final byte[] bytes = new byte[4];
            for (int i = 0; i < 4; i++)
            {
                final int octet = Integer.parseInt(parts[i]);
                if (octet > 255)
                {
                    throw new IllegalArgumentException("'" + whole + "': octet " + octet + " is above 255");
                }
                bytes[i] = (byte)octet;
            }
            return bytes;
        }
        try
        {
            final InetAddress ip = InetAddress.getByName(address);
            // "::ffff:1.2.3.4" comes back as IPv4; keep it 16 bytes so the prefix means what was written.
            return ip instanceof Inet4Address ? mapped(ip.getAddress()) : ip.getAddress();
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalArgumentException("'" + whole + "' is not a valid IPv6 address");
        }
    }

    private static byte[] mapped(final byte[] v4)
    {
        final byte[] v6 = new byte[16];
        v6[10] = (byte)0xFF;
        v6[11] = (byte)0xFF;
        System.arraycopy(v4, 0, v6, 12, 4);
        return v6;
    }

    private static String masked(final byte[] bytes, final int prefix)
    {
        final byte[] copy = Arrays.copyOf(bytes, bytes.length);
        for (int bit = prefix; bit < copy.length * 8; bit++)
        {
            copy[bit >> 3] &= (byte)~(0x80 >> (bit & 7));
        }
        try
        {
            return InetAddress.getByAddress(copy).getHostAddress();
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalStateException("cannot happen: " + copy.length + " address bytes", ex);
        }
    }

    /**
     * @param address an address of either family.
     * @return whether it lies in this network (never across families).
     */
    public boolean contains(final InetAddress address)
    {
        final byte[] bytes = address.getAddress();
        if (bytes.length != network.length)
        {
            return false;
        }
        final int whole = prefixLength >> 3;
        for (int i = 0; i < whole; i++)
        {
            if (bytes[i] != network[i])
            {
                return false;
            }
        }
        final int rest = prefixLength & 7;
        if (0 == rest)
        {
            return true;
        }
        final int mask = (0xFF << (8 - rest)) & 0xFF;
        return (bytes[whole] & mask) == (network[whole] & mask);
    }

    /**
     * @return the prefix length.
     */
    public int prefixLength()
    {
        return prefixLength;
    }

    @Override
    public String toString()
    {
        return text;
    }
}
