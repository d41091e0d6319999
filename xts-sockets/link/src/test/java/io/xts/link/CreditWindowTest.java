package io.xts.link;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Unit tests of {@link CreditWindow}, the per-stream byte window.
 */
class CreditWindowTest
{
    @Test
    void shouldGrantNoMoreThanTheWindow()
    {
        final CreditWindow sender = new CreditWindow(1000);
        assertEquals(600, sender.take(600));
        assertEquals(400, sender.take(600), "only what is left");
        assertEquals(0, sender.take(1), "closed");
        assertEquals(1, sender.stalls());
        assertEquals(1000, sender.sentPosition());
    }

    @Test
    void shouldReopenOnCreditAndNeverShrink()
    {
        final CreditWindow sender = new CreditWindow(1000);
        sender.take(1000);
        sender.onCredit(500, 1000);
        assertEquals(500, sender.available());
        sender.onCredit(100, 1000);
        assertEquals(1500, sender.senderLimit(), "an older update does not shrink the limit");
        assertThrows(IllegalArgumentException.class, () -> sender.onCredit(-1, 10));
    }

    @Test
    void shouldAskForAnUpdateAfterAQuarterOfTheWindow()
    {
        final CreditWindow receiver = new CreditWindow(1000);
        receiver.consumed(249);
        assertFalse(receiver.updateDue());
        receiver.consumed(1);
        assertTrue(receiver.updateDue());
        assertEquals(250, receiver.advertise());
        assertFalse(receiver.updateDue());
    }

    @Test
    void shouldRefuseAnEmptyWindow()
    {
        assertThrows(IllegalArgumentException.class, () -> new CreditWindow(0));
    }
}
