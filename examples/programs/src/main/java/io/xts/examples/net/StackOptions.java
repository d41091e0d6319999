package io.xts.examples.net;

import io.xts.link.LinkKey;
import io.xts.sockets.XtsStack;
import io.xts.xsk.AttachMode;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The options every example that uses XTS sockets shares (a picocli mixin): which interface and queue carry the
 * link to the proxy, with defaults from the environment ({@code XTS_IFACE}, {@code XTS_QUEUE}) so scripts can set
 * them once, and how to attach. {@link #open()} builds the {@link XtsStack} and waits for the link to come up.
 */
public final class StackOptions
{
    @Option(names = "--iface", defaultValue = "${env:XTS_IFACE}",
        description = "interface of the link to the proxy (default: $XTS_IFACE)")
    String iface;

    @Option(names = "--queue", defaultValue = "${env:XTS_QUEUE:-0}",
        description = "queue id of the link (default: $XTS_QUEUE or 0)")
    int queue;

    @Option(names = "--attach", defaultValue = "native",
        description = "XDP attach mode: native or skb (default ${DEFAULT-VALUE})")
    String attach;

    @Option(names = "--link-timeout", defaultValue = "10",
        description = "seconds to wait for the link to the proxy to come up (default ${DEFAULT-VALUE})")
    double linkTimeout;

    @Option(names = "--poll", defaultValue = "thread",
        description = {"who drives the link: thread (a poller thread of the stack, default) or app (the threads " +
            "blocked in socket calls drive it themselves: no poller thread and no hand-off between threads; for one " +
            "busy connection, as a benchmark has)"})
    String poll;

    @Option(names = "--receive-window", defaultValue = "262144",
        description = "bytes each socket buffers on this host, the proxy's credit (default ${DEFAULT-VALUE})")
    int receiveWindow;

    @Option(names = "--idle-spin-us", defaultValue = "0",
        description = {"microseconds a thread waiting in a socket call polls before it parks, while that pays " +
            "(0: parks at once; default ${DEFAULT-VALUE})"})
    long idleSpinMicros;

    @Option(names = "--link-key-file", defaultValue = "${env:XTS_LINK_KEY_FILE}", paramLabel = "FILE",
        description = {"file with the link's pre-shared key in hex (the proxy's --link-key-file must hold the same): " +
            "HELLO and RESET are authenticated with it (default: $XTS_LINK_KEY_FILE, or none)"})
    Path linkKeyFile;

    @Option(names = "--latency",
        description = {"latency mode: waiting threads and the poller spin instead of parking, the link acknowledges " +
            "at once, the AF_XDP socket asks for busy polling; costs a core per spinning thread, even idle " +
            "(default off: frugal)"})
    boolean latency;

    @Option(names = "--idle", paramLabel = "busy|backoff|sleep",
        description = {"what the poller thread does when idle: busy (spin), backoff (spin, yield, park up to " +
            "1 ms) or sleep (spin briefly, then sleep until frames arrive on the AF_XDP socket); default busy with " +
            "--latency, else sleep"})
    String idle;

    /**
     * @return a stack on the chosen interface, with its link up.
     * @throws IOException when the link does not come up in time.
     */
    public XtsStack open() throws IOException
    {
        validate();
        final XtsStack.Builder builder = XtsStack.builder().latency(latency);
        if (null != linkKeyFile)
        {
            builder.linkKey(LinkKey.fromFile(linkKeyFile));
        }
        if ("busy".equals(idle))
        {
            builder.idleStrategy(new BusySpinIdleStrategy());
        }
        else if ("backoff".equals(idle))
        {
            builder.idleStrategy(new BackoffIdleStrategy());
        }
        final XtsStack stack = builder
            .ownPoller("thread".equals(poll))
            .iface(iface)
            .queue(queue)
            .attach(AttachMode.parse(attach))
            .receiveWindow(receiveWindow)
            .idleSpin(Duration.ofNanos(idleSpinMicros * 1000))
            .linkTimeout(Duration.ofMillis((long)(linkTimeout * 1000)))
            .build();
        if (null != stack.busyPollReport())
        {
            System.err.println("xts: latency mode, AF_XDP busy polling: " + stack.busyPollReport());
        }
        return stack;
    }

    /**
     * @return whether latency mode was asked for.
     */
    public boolean latency()
    {
        return latency;
    }

    /**
     * @return the interface of the link (from --iface or $XTS_IFACE), or null when neither names one.
     */
    public String iface()
    {
        return null == iface || iface.isBlank() ? null : iface;
    }

    /**
     * @return the queue id of the link.
     */
    public int queue()
    {
        return queue;
    }

    /**
     * @return who drives the link: "thread" or "app".
     */
    public String poll()
    {
        return poll;
    }

    /**
     * Check the options without touching the network, as {@link #open()} does first.
     *
     * @throws IllegalArgumentException naming the option that is wrong.
     */
    public void validate()
    {
        if (null == iface || iface.isBlank())
        {
            throw new IllegalArgumentException("no interface: pass --iface IF or set XTS_IFACE");
        }
        if (queue < 0)
        {
            throw new IllegalArgumentException("--queue must be >= 0, got " + queue);
        }
        if (linkTimeout <= 0)
        {
            throw new IllegalArgumentException("--link-timeout must be positive, got " + linkTimeout);
        }
        if (!"thread".equals(poll) && !"app".equals(poll))
        {
            throw new IllegalArgumentException("--poll must be thread or app, got '" + poll + "'");
        }
        if (receiveWindow <= 0)
        {
            throw new IllegalArgumentException("--receive-window must be positive, got " + receiveWindow);
        }
        if (idleSpinMicros < 0 || idleSpinMicros > 10_000)
        {
            throw new IllegalArgumentException("--idle-spin-us must be 0..10000, got " + idleSpinMicros);
        }
        if (null != idle && !"busy".equals(idle) && !"backoff".equals(idle) && !"sleep".equals(idle))
        {
            throw new IllegalArgumentException("--idle must be busy, backoff or sleep, got '" + idle + "'");
        }
        AttachMode.parse(attach);
    }
}
