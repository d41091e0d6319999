package io.xts.proxy;

/**
 * Where the proxy reports the events an operator or a system test watches for (link up and down, failures that are
 * not any one socket's business). The command prints each as a {@code proxy-event ...} line; tests record them.
 * Called on the agent thread, only on events, never per message.
 */
@FunctionalInterface
public interface ProxyEvents
{
    /**
     * @param text the event: a word, then key=value pairs ("link-up peer_epoch=1a2b version=1").
     */
    void event(String text);
}
