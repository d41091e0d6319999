package io.xts.xsk;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Ethernet MAC addresses as the driver meets them: parsed from the text form {@code aa:bb:cc:dd:ee:ff} and read from
 * sysfs for an interface, which is where an AF_XDP endpoint learns the source address of the frames it builds.
 */
public final class MacAddress
{
    /** Bytes in a MAC address. */
    public static final int LENGTH = 6;

    private MacAddress()
    {
    }

    /**
     * @param text six hex bytes separated by colons.
     * @return the 6 bytes.
     * @throws IllegalArgumentException naming the bad text.
     */
    public static byte[] parse(final String text)
    {
        final String[] parts = text.trim().split(":");
        if (LENGTH != parts.length)
        {
            throw new IllegalArgumentException("MAC address must be six hex bytes aa:bb:cc:dd:ee:ff, got '" +
                text + "'");
        }
        final byte[] mac = new byte[LENGTH];
        for (int i = 0; i < LENGTH; i++)
        {
            try
            {
                mac[i] = (byte)Integer.parseInt(parts[i], 16);
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException("MAC address byte '" + parts[i] + "' in '" + text +
                    "' is not hex", ex);
            }
        }
        return mac;
    }

    /**
     * @param ifname an interface in the calling thread's namespace.
     * @return its MAC address from sysfs.
     * @throws UncheckedIOException when sysfs has no such interface.
     */
    public static byte[] ofInterface(final String ifname)
    {
        try
        {
            return parse(Files.readString(Path.of("/sys/class/net/" + ifname + "/address")));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot read the MAC address of " + ifname, ex);
        }
    }
}
