package io.xts.proxy.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The proxy's policy, read from a JSON file and validated where it enters: what app hosts may connect to and
 * listen on ({@link AllowList}) and how much of the proxy each link may hold ({@link Limits}). Every error names the
 * field by its path in the file and the offending value ({@code allow.connect[1].cidr: '10.0.0.0/33': prefix length
 * 33 is outside 0..32 for IPv4}); unknown fields are errors too, because a misspelt limit that is silently ignored
 * is a limit that does not apply. A section or field left out takes its default ({@link #defaults()}); an empty
 * list means "nothing allowed".
 * <pre>
 * {"allow": {"connect": [{"cidr": "198.18.1.0/24", "ports": "1-65535"}],
 *            "listen": {"ports": "1024-65535", "addresses": ["0.0.0.0/0", "::/0"]}},
 *  "limits": {"socketsPerLink": 1024, "listenersPerLink": 64, "bytesInFlightPerLink": 268435456,
 *             "sendWindow": 262144, "connectTimeoutMs": 10000},
 *  "nvmeOffload": {"enabled": true, "maxQueuesPerLink": 256, "maxRegistrationsPerQueue": 1024,
 *                  "maxRegistrationLength": 16777216}}
 * </pre>
 *
 * @param allow       what app hosts may do.
 * @param limits      how much each link may hold.
 * @param nvmeOffload whether and how far the proxy takes over the NVMe/TCP framing of sockets (ULP_PUSH).
 */
public record ProxyConfig(AllowList allow, Limits limits, NvmeOffload nvmeOffload)
{
    /** Networks allowed by default: the benchmarking range and unique-local IPv6, where the test networks live. */
    public static final List<String> DEFAULT_NETWORKS = List.of("198.18.0.0/15", "fd00::/8");
    /** Ports allowed by default for CONNECT. */
    public static final String DEFAULT_CONNECT_PORTS = "1-65535";
    /** Ports allowed by default for LISTEN: no privileged ports (the proxy runs with privileges for AF_XDP). */
    public static final String DEFAULT_LISTEN_PORTS = "1024-65535";

    /** The smallest send window: a quarter of it is the credit granularity, which must stay above a few frames. */
    public static final int MIN_SEND_WINDOW = 1024;
    /** The largest send window, 1 GiB: one socket must not be able to pin more of the proxy's memory. */
    public static final int MAX_SEND_WINDOW = 1 << 30;

    /**
     * Per-link limits, each enforced with a counted refusal.
     *
     * @param socketsPerLink       connections (connecting, open or closing) a link may hold; beyond: EMFILE.
     * @param listenersPerLink     listeners a link may hold; beyond: EMFILE.
     * @param bytesInFlightPerLink sum of the send windows granted to a link's live sockets; beyond: ENOBUFS. It
     *                             bounds the pending-buffer memory a link can make the proxy allocate.
     * @param sendWindow           bytes each socket's app may send before the proxy returns credit, which is also the
     *                             size of its pending buffer when the kernel refuses data.
     * @param connectTimeoutMs     connect timeout when CONNECT says 0.
     */
    public record Limits(
        int socketsPerLink, int listenersPerLink, long bytesInFlightPerLink, int sendWindow, int connectTimeoutMs)
    {
        /** Validates where the values enter. */
        public Limits
        {
            positive("limits.socketsPerLink", socketsPerLink);
            positive("limits.listenersPerLink", listenersPerLink);
            if (sendWindow < MIN_SEND_WINDOW || sendWindow > MAX_SEND_WINDOW)
            {
                throw new IllegalArgumentException("limits.sendWindow: " + sendWindow + " is outside " +
                    MIN_SEND_WINDOW + ".." + MAX_SEND_WINDOW + " bytes");
            }
            if (bytesInFlightPerLink < sendWindow)
            {
                throw new IllegalArgumentException("limits.bytesInFlightPerLink: " + bytesInFlightPerLink +
                    " is less than limits.sendWindow (" + sendWindow + "), so no socket could ever open");
            }
            positive("limits.connectTimeoutMs", connectTimeoutMs);
        }

        static void positive(final String field, final long value)
        {
            if (value <= 0)
            {
                throw new IllegalArgumentException(field + ": " + value + " must be positive");
            }
        }

        /**
         * @return 1024 sockets, 64 listeners, 256 MiB in flight, 256 KiB send window, 10 s connect timeout.
         */
        public static Limits defaults()
        {
            return new Limits(1024, 64, 256L << 20, 256 << 10, 10_000);
        }
    }

    /**
     * A configuration with the default NVMe/TCP offload settings.
     *
     * @param allow  what app hosts may do.
     * @param limits how much each link may hold.
     */
    public ProxyConfig(final AllowList allow, final Limits limits)
    {
        this(allow, limits, NvmeOffload.defaults());
    }

    /**
     * The NVMe/TCP offload engine's settings (docs/PROTOCOL.md "NVMe/TCP offload messages"): each bounds memory the
     * proxy holds for an app host.
     *
     * @param enabled                  whether ULP_PUSH is accepted at all (false: every push gets EOPNOTSUPP, the app
     *                                 stays in software).
     * @param maxQueuesPerLink         offloaded sockets a link may hold at once (each has a staging buffer of
     *                                 256 KiB); beyond: EOPNOTSUPP.
     * @param maxRegistrationsPerQueue DDP registrations one queue may hold (also capped by the queue size the app
     *                                 pushes); beyond: DDP_TEARDOWN refused.
     * @param maxRegistrationLength    the longest buffer a registration may name, and the most DATA one C2HData or
     *                                 in-capsule CapsuleCmd may carry.
     */
    public record NvmeOffload(
        boolean enabled, int maxQueuesPerLink, int maxRegistrationsPerQueue, long maxRegistrationLength)
    {
        /** The largest registration length: DDP_SETUP carries a u32. */
        public static final long MAX_REGISTRATION_LENGTH = 0xFFFF_FFFFL;
        /** The most registrations per queue: CIDs are u16. */
        public static final int MAX_REGISTRATIONS = 65536;

        /** Validates where the values enter. */
        public NvmeOffload
        {
            Limits.positive("nvmeOffload.maxQueuesPerLink", maxQueuesPerLink);
            Limits.positive("nvmeOffload.maxRegistrationsPerQueue", maxRegistrationsPerQueue);
            if (maxRegistrationsPerQueue > MAX_REGISTRATIONS)
            {
                throw new IllegalArgumentException("nvmeOffload.maxRegistrationsPerQueue: " +
                    maxRegistrationsPerQueue + " is above " + MAX_REGISTRATIONS + " (command ids are 16 bits)");
            }
            if (maxRegistrationLength < 4096 || maxRegistrationLength > MAX_REGISTRATION_LENGTH)
            {
                throw new IllegalArgumentException("nvmeOffload.maxRegistrationLength: " + maxRegistrationLength +
                    " is outside 4096.." + MAX_REGISTRATION_LENGTH + " bytes");
            }
        }

        /**
         * @return enabled, 256 queues per link, 1024 registrations per queue, 16 MiB per registration.
         */
        public static NvmeOffload defaults()
        {
            return new NvmeOffload(true, 256, 1024, 16L << 20);
        }
    }

    /**
     * @return the configuration without a file: connect to 198.18.0.0/15 and fd00::/8 only (any port), listen on
     *         any local address (the wildcard included) on ports 1024-65535, and {@link Limits#defaults()}.
     */
    public static ProxyConfig defaults()
    {
        final PortRanges connectPorts = PortRanges.parse(DEFAULT_CONNECT_PORTS);
        final List<AllowList.Rule> rules = new ArrayList<>();
        final List<Cidr> networks = new ArrayList<>();
        for (final String network : DEFAULT_NETWORKS)
        {
            rules.add(new AllowList.Rule(Cidr.parse(network), connectPorts));
        }
        // A listener binds only addresses of the proxy's own host, so any of them (the wildcard included) is allowed
        // by default; the ports are what the default restricts.
        networks.add(Cidr.parse("0.0.0.0/0"));
        networks.add(Cidr.parse("::/0"));
        return new ProxyConfig(
            new AllowList(rules, PortRanges.parse(DEFAULT_LISTEN_PORTS), networks), Limits.defaults());
    }

    /**
     * @param file a JSON configuration file.
     * @return the validated configuration.
     * @throws IllegalArgumentException naming the file, the field and the value when it is invalid.
     */
    public static ProxyConfig load(final Path file)
    {
        final String json;
        try
        {
            json = Files.readString(file);
        }
        catch (final NoSuchFileException ex)
        {
            throw new IllegalArgumentException("configuration file " + file + " does not exist");
        }
        catch (final IOException ex)
        {
            throw new IllegalArgumentException("cannot read configuration file " + file + ": " + ex.getMessage(), ex);
        }
        try
        {
            return parse(json);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException(file + ": " + ex.getMessage(), ex);
        }
    }

    /**
     * @param json the configuration's text.
     * @return the validated configuration.
     * @throws IllegalArgumentException naming the field and the value when it is invalid.
     */
    public static ProxyConfig parse(final String json)
    {
        final JsonNode root;
        try
        {
            root = new ObjectMapper().readTree(json);
        }
        catch (final JsonProcessingException ex)
        {
            throw new IllegalArgumentException("not valid JSON: " + ex.getOriginalMessage() + " at line " +
                ex.getLocation().getLineNr() + ", column " + ex.getLocation().getColumnNr());
        }
        if (null == root || !root.isObject())
        {
            throw new IllegalArgumentException("the configuration must be a JSON object, got " +
                (null == root ? "nothing" : root.getNodeType().name().toLowerCase(Locale.ROOT)));
        }
        onlyFields(root, "", Set.of("allow", "limits", "nvmeOffload"));
        final ProxyConfig defaults = defaults();
        final AllowList allow = root.has("allow") ? allow(object(root.get("allow"), "allow"), defaults.allow()) :
            defaults.allow();
        final Limits limits = root.has("limits") ? limits(object(root.get("limits"), "limits")) : Limits.defaults();
        final NvmeOffload nvme = root.has("nvmeOffload") ?
            nvmeOffload(object(root.get("nvmeOffload"), "nvmeOffload")) : NvmeOffload.defaults();
        return new ProxyConfig(allow, limits, nvme);
    }

    private static NvmeOffload nvmeOffload(final JsonNode node)
    {
        onlyFields(node, "nvmeOffload.", Set.of(
            "enabled", "maxQueuesPerLink", "maxRegistrationsPerQueue", "maxRegistrationLength"));
        final NvmeOffload d = NvmeOffload.defaults();
        boolean enabled = d.enabled();
        if (node.has("enabled"))
        {
            final JsonNode value = node.get("enabled");
            if (!value.isBoolean())
            {
                throw new IllegalArgumentException("nvmeOffload.enabled: expected true or false, got " + value);
            }
            enabled = value.asBoolean();
        }
        return new NvmeOffload(enabled,
            (int)number(node, "nvmeOffload.", "maxQueuesPerLink", d.maxQueuesPerLink(), Integer.MAX_VALUE),
            (int)number(node, "nvmeOffload.", "maxRegistrationsPerQueue", d.maxRegistrationsPerQueue(),
                Integer.MAX_VALUE),
            number(node, "nvmeOffload.", "maxRegistrationLength", d.maxRegistrationLength(), Long.MAX_VALUE));
    }

    private static AllowList allow(final JsonNode node, final AllowList defaults)
    {
        onlyFields(node, "allow.", Set.of("connect", "listen"));
        List<AllowList.Rule> connect = defaults.connect();
        if (node.has("connect"))
        {
            final JsonNode list = node.get("connect");
            if (!list.isArray())
            {
                throw new IllegalArgumentException("allow.connect: expected a list of {\"cidr\", \"ports\"}, got " +
                    list);
            }
            connect = new ArrayList<>();
            for (int i = 0; i < list.size(); i++)
            {
                final String path = "allow.connect[" + i + "]";
                final JsonNode rule = object(list.get(i), path);
                onlyFields(rule, path + ".", Set.of("cidr", "ports"));
                final Cidr cidr = cidr(required(rule, "cidr", path), path + ".cidr");
                final PortRanges ports = rule.has("ports") ? ports(rule.get("ports"), path + ".ports") :
                    PortRanges.parse(DEFAULT_CONNECT_PORTS);
                connect.add(new AllowList.Rule(cidr, ports));
            }
        }
        PortRanges listenPorts = defaults.listenPorts();
        List<Cidr> listenAddresses = defaults.listenAddress();
        if (node.has("listen"))
        {
            final JsonNode listen = object(node.get("listen"), "allow.listen");
            onlyFields(listen, "allow.listen.", Set.of("ports", "addresses"));
            if (listen.has("ports"))
            {
                listenPorts = ports(listen.get("ports"), "allow.listen.ports");
            }
            if (listen.has("addresses"))
            {
                final JsonNode list = listen.get("addresses");
                if (!list.isArray())
                {
                    throw new IllegalArgumentException("allow.listen.addresses: expected a list of CIDRs, got " + list);
                }
                listenAddresses = new ArrayList<>();
                for (int i = 0; i < list.size(); i++)
                {
                    listenAddresses.add(cidr(list.get(i), "allow.listen.addresses[" + i + "]"));
                }
            }
        }
        return new AllowList(connect, listenPorts, listenAddresses);
    }

    private static Limits limits(final JsonNode node)
    {
        onlyFields(node, "limits.", Set.of(
            "socketsPerLink", "listenersPerLink", "bytesInFlightPerLink", "sendWindow", "connectTimeoutMs"));
        final Limits d = Limits.defaults();
        return new Limits(
            (int)number(node, "socketsPerLink", d.socketsPerLink(), Integer.MAX_VALUE),
            (int)number(node, "listenersPerLink", d.listenersPerLink(), Integer.MAX_VALUE),
            number(node, "bytesInFlightPerLink", d.bytesInFlightPerLink(), Long.MAX_VALUE),
            (int)number(node, "sendWindow", d.sendWindow(), Integer.MAX_VALUE),
            (int)number(node, "connectTimeoutMs", d.connectTimeoutMs(), Integer.MAX_VALUE));
    }

    private static long number(final JsonNode node, final String field, final long fallback, final long max)
    {
        return number(node, "limits.", field, fallback, max);
    }

    private static long number(
        final JsonNode node, final String prefix, final String field, final long fallback, final long max)
    {
        if (!node.has(field))
        {
            return fallback;
        }
        final JsonNode value = node.get(field);
        if (!value.isIntegralNumber() || !value.canConvertToLong())
        {
            throw new IllegalArgumentException(prefix + field + ": expected a whole number, got " + value);
        }
        final long v = value.asLong();
        if (v > max)
        {
            throw new IllegalArgumentException(prefix + field + ": " + v + " is above the largest allowed, " + max);
        }
        return v;
    }

    private static Cidr cidr(final JsonNode value, final String path)
    {
        if (!value.isTextual())
        {
            throw new IllegalArgumentException(path + ": expected a CIDR string such as \"198.18.0.0/15\", got " +
                value);
        }
        try
        {
            return Cidr.parse(value.asText());
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException(path + ": " + ex.getMessage(), ex);
        }
    }

    private static PortRanges ports(final JsonNode value, final String path)
    {
        if (!value.isTextual())
        {
            throw new IllegalArgumentException(path + ": expected a port range string such as \"1024-65535\", got " +
                value);
        }
        try
        {
            return PortRanges.parse(value.asText());
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException(path + ": " + ex.getMessage(), ex);
        }
    }

    private static JsonNode object(final JsonNode node, final String path)
    {
        if (null == node || !node.isObject())
        {
            throw new IllegalArgumentException(path + ": expected an object, got " + node);
        }
        return node;
    }

    private static JsonNode required(final JsonNode node, final String field, final String path)
    {
        if (!node.has(field))
        {
            throw new IllegalArgumentException(path + "." + field + ": missing");
        }
        return node.get(field);
    }

    private static void onlyFields(final JsonNode node, final String prefix, final Set<String> known)
    {
        final Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext())
        {
            final String name = fields.next().getKey();
            if (!known.contains(name))
            {
                throw new IllegalArgumentException(prefix + name + ": unknown field (known here: " +
                    String.join(", ", known.stream().sorted().toList()) + ")");
            }
        }
    }
}
