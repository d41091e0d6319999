package io.xts.sockets.nio;

import io.xts.sockets.XtsStack;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ProtocolFamily;
import java.net.StandardProtocolFamily;
import java.nio.channels.Channel;
import java.nio.channels.DatagramChannel;
import java.nio.channels.Pipe;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.AbstractSelector;
import java.nio.channels.spi.SelectorProvider;
import java.util.Objects;

/**
 * The XTS {@link SelectorProvider}: what {@code SocketChannel.open()}, {@code ServerSocketChannel.open()} and
 * {@code Selector.open()} return when {@code -Djava.nio.channels.spi.SelectorProvider} names this class (as
 * {@code xts run} does). TCP channels are {@link XtsSocketChannel}s and {@link XtsServerSocketChannel}s that choose
 * their carrier when they learn their address (connect, bind): the proxy through the XTS stack, or the JDK's own
 * provider for the addresses {@link BypassPolicy} names. Selectors are {@link XtsNioSelector}s, which select over both
 * kinds. UDP, pipes, Unix domain sockets and inherited channels are the JDK's: this provider hands them to the JDK's
 * provider unchanged. The XTS stack is opened once, on first use (or at construction with
 * {@code -Dxts.nio.eager=true}), from {@code XTS_IFACE}/{@code XTS_QUEUE}; it is closed at JVM exit.
 */
public final class XtsSelectorProvider extends SelectorProvider
{
    /** System property: open the stack when the provider is created, and on failure print why and exit (xts run). */
    public static final String EAGER_PROPERTY = "xts.nio.eager";
    /** System property: print which carrier each channel got, to stderr (xts run with XTS_VERBOSE=1). */
    public static final String VERBOSE_PROPERTY = "xts.nio.verbose";

    private static final String JDK_PROVIDER = "sun.nio.ch.DefaultSelectorProvider";

    private final SelectorProvider jdk;
    private final BypassPolicy bypass;
    private final StackFactory stackFactory;
    private final boolean verbose;
    private final Object stackLock = new Object();
    private volatile XtsStack stack;
    private volatile IOException stackFailure;

    /**
     * The provider the JDK loads through the system property: the JDK's own provider for bypassed channels (which
     * needs {@code --add-exports java.base/sun.nio.ch=io.xts.sockets.nio}, as {@code xts run} gives), the bypass
     * networks from {@code xts.nio.bypass}, the stack from the environment.
     */
    public XtsSelectorProvider()
    {
        this(jdkProvider(), BypassPolicy.parse(System.getProperty(BypassPolicy.PROPERTY)),
            () -> XtsStack.fromEnvironment().build(), Boolean.getBoolean(VERBOSE_PROPERTY));
        if (Boolean.getBoolean(EAGER_PROPERTY))
        {
            try
            {
                stack();
            }
            catch (final IOException ex)
            {
                System.err.println("xts run: " + ex.getMessage());
                System.err.flush();
                Runtime.getRuntime().halt(70);
            }
        }
    }

    /**
     * A provider over a given JDK provider and stack factory (tests, embedding).
     *
     * @param jdk          the provider bypassed channels, UDP, pipes and Unix domain sockets come from.
     * @param bypass       which addresses the JDK carries.
     * @param stackFactory opens the XTS stack on first use; called at most once successfully.
     * @param verbose      print each channel's carrier to stderr.
     */
    public XtsSelectorProvider(
        final SelectorProvider jdk, final BypassPolicy bypass, final StackFactory stackFactory,
        final boolean verbose)
    {
        this.jdk = Objects.requireNonNull(jdk, "jdk");
        this.bypass = Objects.requireNonNull(bypass, "bypass");
        this.stackFactory = Objects.requireNonNull(stackFactory, "stackFactory");
        this.verbose = verbose;
    }

    private static SelectorProvider jdkProvider()
    {
        try
        {
            // The JDK's provider is not public API; sun.nio.ch.DefaultSelectorProvider.get() is how the JDK makes it.
            return (SelectorProvider)Class.forName(JDK_PROVIDER).getMethod("get").invoke(null);
        }
        catch (final ReflectiveOperationException | RuntimeException ex)
        {
            throw new IllegalStateException("the XTS SelectorProvider needs the JDK's own provider for loopback and " +
                "bypassed addresses: run with --add-exports java.base/sun.nio.ch=io.xts.sockets.nio (on the class " +
                "path: =ALL-UNNAMED), as xts run does", ex);
        }
    }

    /**
     * @param address where a channel connects or binds (null: the wildcard).
     * @return whether the JDK's own TCP carries it.
     */
    boolean bypasses(final InetAddress address)
    {
        return bypass.bypasses(address);
    }

    SelectorProvider jdk()
    {
        return jdk;
    }

    void trace(final String what)
    {
        if (verbose)
        {
            System.err.println("xts-nio: " + what);
        }
    }

    /**
     * @return the stack, opened on first call.
     * @throws IOException why it could not be opened (the same failure for every later call).
     */
    XtsStack stack() throws IOException
    {
        final XtsStack s = stack;
        if (null != s)
        {
            return s;
        }
        synchronized (stackLock)
        {
            if (null != stack)
            {
                return stack;
            }
            if (null != stackFailure)
            {
                throw new IOException(stackFailure.getMessage(), stackFailure);
            }
            try
            {
                final XtsStack opened = stackFactory.open();
                stack = opened;
                final Thread closer = new Thread(opened::close, "xts-nio-stack-close");
                Runtime.getRuntime().addShutdownHook(closer);
                trace("XTS stack open: " + opened);
                return opened;
            }
            catch (final IOException | RuntimeException ex)
            {
                stackFailure = new IOException("cannot open the XTS stack (interface XTS_IFACE=" +
                    System.getenv("XTS_IFACE") + ", queue XTS_QUEUE=" + System.getenv("XTS_QUEUE") +
                    "): " + ex.getMessage() + " (is the proxy running on the other end of the link?)", ex);
                throw stackFailure;
            }
        }
    }

    @Override
    public DatagramChannel openDatagramChannel() throws IOException
    {
        return jdk.openDatagramChannel();
    }

    @Override
    public DatagramChannel openDatagramChannel(final ProtocolFamily family) throws IOException
    {
        return jdk.openDatagramChannel(family);
    }

    @Override
    public Pipe openPipe() throws IOException
    {
        return jdk.openPipe();
    }

    @Override
    public AbstractSelector openSelector() throws IOException
    {
        return new XtsNioSelector(this);
    }

    @Override
    public ServerSocketChannel openServerSocketChannel() throws IOException
    {
        return new XtsServerSocketChannel(this);
    }

    @Override
    public ServerSocketChannel openServerSocketChannel(final ProtocolFamily family) throws IOException
    {
        Objects.requireNonNull(family, "family");
        if (StandardProtocolFamily.INET == family || StandardProtocolFamily.INET6 == family)
        {
            return new XtsServerSocketChannel(this);
        }
        return jdk.openServerSocketChannel(family);
    }

    @Override
    public SocketChannel openSocketChannel() throws IOException
    {
        return new XtsSocketChannel(this);
    }

    @Override
    public SocketChannel openSocketChannel(final ProtocolFamily family) throws IOException
    {
        Objects.requireNonNull(family, "family");
        if (StandardProtocolFamily.INET == family || StandardProtocolFamily.INET6 == family)
        {
            return new XtsSocketChannel(this);
        }
        return jdk.openSocketChannel(family);
    }

    @Override
    public Channel inheritedChannel() throws IOException
    {
        return jdk.inheritedChannel();
    }

    /**
     * Opens the XTS stack the provider's channels use.
     */
    @FunctionalInterface
    public interface StackFactory
    {
        /**
         * @return the open stack.
         * @throws IOException when it cannot be opened (no interface, no proxy answering).
         */
        XtsStack open() throws IOException;
    }
}
