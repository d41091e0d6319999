package io.xts.protocol;

/**
 * Layouts and constants of the socket-operation message bodies (docs/PROTOCOL.md, "Socket operations"): offsets of
 * every field, body lengths, option identifiers, option flags and the Linux errno values the proxy reports. One
 * place for the numbers, so the flyweights, the proxy and the client library cannot disagree.
 */
public final class SocketMessages
{
    private SocketMessages()
    {
    }

    // ---- socket address block (20 bytes) ----

    /** Bytes of a socket address block: u8 family, u8 reserved, u16 port, 16 bytes of address. */
    public static final int SOCKADDR_LENGTH = 20;
    /** Family value of an IPv4 address (its 4 bytes first, the other 12 zero). */
    public static final int FAMILY_IPV4 = 4;
    /** Family value of an IPv6 address. */
    public static final int FAMILY_IPV6 = 6;
    /** Family value of "no address" (a failed connect's result). */
    public static final int FAMILY_NONE = 0;
    static final int SOCKADDR_FAMILY_OFFSET = 0;
    static final int SOCKADDR_PORT_OFFSET = 2;
    static final int SOCKADDR_ADDRESS_OFFSET = 4;

    // ---- CONNECT ----
    /** CONNECT: remote address block. */
    public static final int CONNECT_REMOTE_OFFSET = 0;
    /** CONNECT: u32 connect timeout in ms, 0 for the proxy's default. */
    public static final int CONNECT_TIMEOUT_OFFSET = 20;
    /** CONNECT: u32 bytes the app buffers for this socket: the proxy's first credit for DATA to the app. */
    public static final int CONNECT_RECEIVE_WINDOW_OFFSET = 24;
    /** CONNECT: u32 option flags ({@link #FLAG_TCP_NODELAY} ...), applied before the connect. */
    public static final int CONNECT_FLAGS_OFFSET = 28;
    /** CONNECT: u32 SO_RCVBUF in bytes, 0 for the kernel's default. */
    public static final int CONNECT_RCVBUF_OFFSET = 32;
    /** CONNECT: u32 SO_SNDBUF in bytes, 0 for the kernel's default. */
    public static final int CONNECT_SNDBUF_OFFSET = 36;
    /** Bytes of a CONNECT body. */
    public static final int CONNECT_LENGTH = 40;

    // ---- CONNECT_RESULT and ACCEPTED share a layout after the first field ----
    /** CONNECT_RESULT: i32 errno, 0 when connected. */
    public static final int CONNECT_RESULT_ERRNO_OFFSET = 0;
    /** ACCEPTED: u32 id of the listener that accepted the connection. */
    public static final int ACCEPTED_LISTENER_OFFSET = 0;
    /** CONNECT_RESULT and ACCEPTED: u32 bytes the app may send before the first CREDIT. */
    public static final int ESTABLISHED_SEND_WINDOW_OFFSET = 4;
    /** CONNECT_RESULT and ACCEPTED: local address block (the proxy's side of the TCP connection). */
    public static final int ESTABLISHED_LOCAL_OFFSET = 8;
    /** CONNECT_RESULT and ACCEPTED: remote address block. */
    public static final int ESTABLISHED_REMOTE_OFFSET = 28;
    /** Bytes of a CONNECT_RESULT or ACCEPTED body. */
    public static final int ESTABLISHED_LENGTH = 48;

    // ---- LISTEN ----
    /** LISTEN: local address block (port 0: any free port). */
    public static final int LISTEN_LOCAL_OFFSET = 0;
    /** LISTEN: u32 backlog. */
    public static final int LISTEN_BACKLOG_OFFSET = 20;
    /** LISTEN: u32 receive window the app grants each accepted socket. */
    public static final int LISTEN_RECEIVE_WINDOW_OFFSET = 24;
    /** LISTEN: u32 option flags, applied to the listener and inherited by accepted sockets. */
    public static final int LISTEN_FLAGS_OFFSET = 28;
    /** Bytes of a LISTEN body. */
    public static final int LISTEN_LENGTH = 32;

    // ---- LISTEN_RESULT ----
    /** LISTEN_RESULT: i32 errno, 0 when listening. */
    public static final int LISTEN_RESULT_ERRNO_OFFSET = 0;
    /** LISTEN_RESULT: the address block actually bound. */
    public static final int LISTEN_RESULT_BOUND_OFFSET = 8;
    /** Bytes of a LISTEN_RESULT body. */
    public static final int LISTEN_RESULT_LENGTH = 28;

    // ---- RESET ----
    /** RESET: i32 errno (proxy to app: why the connection failed; app to proxy: 0). */
    public static final int RESET_ERRNO_OFFSET = 0;
    /** Bytes of a RESET body. */
    public static final int RESET_LENGTH = 4;

    // ---- ERROR ----
    /** ERROR: i32 errno. */
    public static final int ERROR_ERRNO_OFFSET = 0;
    /** ERROR: u16 type of the message that could not be acted on. */
    public static final int ERROR_OFFENDING_TYPE_OFFSET = 4;
    /** ERROR: u16 bytes of UTF-8 text. */
    public static final int ERROR_TEXT_LENGTH_OFFSET = 6;
    /** ERROR: the text. */
    public static final int ERROR_TEXT_OFFSET = 8;
    /** Bytes of an ERROR body without text. */
    public static final int ERROR_MIN_LENGTH = 8;
    /** Longest ERROR text sent (longer text is cut). */
    public static final int ERROR_MAX_TEXT = 200;

    // ---- SET_OPTION / OPTION_RESULT ----
    /** SET_OPTION and OPTION_RESULT: u16 option id. */
    public static final int OPTION_ID_OFFSET = 0;
    /** SET_OPTION: i64 value (booleans 0 or 1). */
    public static final int SET_OPTION_VALUE_OFFSET = 4;
    /** Bytes of a SET_OPTION body. */
    public static final int SET_OPTION_LENGTH = 12;
    /** OPTION_RESULT: i32 errno. */
    public static final int OPTION_RESULT_ERRNO_OFFSET = 4;
    /** OPTION_RESULT: i64 value in effect afterwards, as the kernel reports it. */
    public static final int OPTION_RESULT_VALUE_OFFSET = 8;
    /** Bytes of an OPTION_RESULT body. */
    public static final int OPTION_RESULT_LENGTH = 16;

    // ---- option ids and flags ----
    /** Option id: TCP_NODELAY (boolean). */
    public static final int OPTION_TCP_NODELAY = 1;
    /** Option id: SO_KEEPALIVE (boolean). */
    public static final int OPTION_SO_KEEPALIVE = 2;
    /** Option id: SO_RCVBUF (bytes). */
    public static final int OPTION_SO_RCVBUF = 3;
    /** Option id: SO_SNDBUF (bytes). */
    public static final int OPTION_SO_SNDBUF = 4;
    /** Option id: SO_REUSEADDR (boolean). */
    public static final int OPTION_SO_REUSEADDR = 5;
    /** Option flag bit: TCP_NODELAY on. */
    public static final int FLAG_TCP_NODELAY = 1;
    /** Option flag bit: SO_KEEPALIVE on. */
    public static final int FLAG_SO_KEEPALIVE = 2;
    /** Option flag bit: SO_REUSEADDR on. */
    public static final int FLAG_SO_REUSEADDR = 4;

    // ---- socket ids ----
    /** Ids the proxy allocates (ACCEPTED) have this bit set; the app allocates the others, from 1. */
    public static final int PROXY_ALLOCATED_ID = 0x8000_0000;

    // ---- errno values (Linux) ----
    /** Operation not permitted (an allow-list refused it). */
    public static final int EPERM = 1;
    /** Bad socket id. */
    public static final int EBADF = 9;
    /** Permission denied. */
    public static final int EACCES = 13;
    /** Id already in use. */
    public static final int EEXIST = 17;
    /** Invalid argument (malformed body). */
    public static final int EINVAL = 22;
    /** Too many open sockets (a per-link limit). */
    public static final int EMFILE = 24;
    /** Broken pipe. */
    public static final int EPIPE = 32;
    /** Protocol error (a peer broke the socket protocol, e.g. DATA beyond its credit). */
    public static final int EPROTO = 71;
    /** Address family not supported. */
    public static final int EAFNOSUPPORT = 97;
    /** Address in use. */
    public static final int EADDRINUSE = 98;
    /** Cannot assign requested address. */
    public static final int EADDRNOTAVAIL = 99;
    /** Network unreachable. */
    public static final int ENETUNREACH = 101;
    /** Connection aborted. */
    public static final int ECONNABORTED = 103;
    /** errno: a malformed NVMe/TCP PDU or header digest error ended an offloaded queue. */
    public static final int EBADMSG = 74;
    /** errno: the proxy does not offload this ULP (configuration, limits or thread mode). */
    public static final int EOPNOTSUPP = 95;
    /** Connection reset by peer. */
    public static final int ECONNRESET = 104;
    /** No buffer space (a per-link byte limit). */
    public static final int ENOBUFS = 105;
    /** Not connected. */
    public static final int ENOTCONN = 107;
    /** Connection timed out. */
    public static final int ETIMEDOUT = 110;
    /** Connection refused. */
    public static final int ECONNREFUSED = 111;
    /** Host unreachable. */
    public static final int EHOSTUNREACH = 113;

    /**
     * @param errno a Linux errno value.
     * @return its symbolic name and text, e.g. "ECONNREFUSED (Connection refused)", or "errno 12345".
     */
    public static String describe(final int errno)
    {
        return switch (errno)
        {
            case 0 -> "success";
            case EPERM -> "EPERM (Operation not permitted)";
            case EBADF -> "EBADF (Bad file descriptor)";
            case EACCES -> "EACCES (Permission denied)";
            case EEXIST -> "EEXIST (File exists)";
            case EINVAL -> "EINVAL (Invalid argument)";
            case EMFILE -> "EMFILE (Too many open files)";
            case EPIPE -> "EPIPE (Broken pipe)";
            case EPROTO -> "EPROTO (Protocol error)";
            case EBADMSG -> "EBADMSG (Bad message)";
            case EOPNOTSUPP -> "EOPNOTSUPP (Operation not supported)";
            case EAFNOSUPPORT -> "EAFNOSUPPORT (Address family not supported by protocol)";
            case EADDRINUSE -> "EADDRINUSE (Address already in use)";
            case EADDRNOTAVAIL -> "EADDRNOTAVAIL (Cannot assign requested address)";
            case ENETUNREACH -> "ENETUNREACH (Network is unreachable)";
            case ECONNABORTED -> "ECONNABORTED (Software caused connection abort)";
            case ECONNRESET -> "ECONNRESET (Connection reset by peer)";
            case ENOBUFS -> "ENOBUFS (No buffer space available)";
            case ENOTCONN -> "ENOTCONN (Transport endpoint is not connected)";
            case ETIMEDOUT -> "ETIMEDOUT (Connection timed out)";
            case ECONNREFUSED -> "ECONNREFUSED (Connection refused)";
            case EHOSTUNREACH -> "EHOSTUNREACH (No route to host)";
            default -> "errno " + errno;
        };
    }
}
