package io.xts.xsk;

import io.xts.bindings.libxdp.libxdp_h;

import java.util.Locale;

/**
 * How an XDP program is attached to an interface.
 */
public enum AttachMode
{
    /** In the driver (native XDP); on veth the frame reaches the program before an skb exists. */
    NATIVE(libxdp_h.XDP_MODE_NATIVE),
    /** Generic XDP, after the skb is built; works on every interface. */
    SKB(libxdp_h.XDP_MODE_SKB);

    private final int libxdpMode;

    AttachMode(final int libxdpMode)
    {
        this.libxdpMode = libxdpMode;
    }

    /**
     * @return the {@code enum xdp_attach_mode} value.
     */
    public int libxdpMode()
    {
        return libxdpMode;
    }

    /**
     * Parse a command-line value.
     *
     * @param text "native", "drv", "skb" or "generic".
     * @return the mode.
     * @throws IllegalArgumentException naming the bad value.
     */
    public static AttachMode parse(final String text)
    {
        return switch (text.toLowerCase(Locale.ROOT))
        {
            case "native", "drv" -> NATIVE;
            case "skb", "generic" -> SKB;
            default -> throw new IllegalArgumentException(
                "attach mode must be native or skb, got '" + text + "'");
        };
    }
}
