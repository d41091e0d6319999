package io.xts.link;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * The link's pre-shared key and the keyed MAC (HMAC-SHA-256, from the JDK) that authenticates HELLO and RESET
 * frames with it: who may bring the link up, restart it or reset it. It is not encryption, and DATA frames are not
 * authenticated (docs/PROTOCOL.md says what it protects against). A key is at least 16 bytes, given as hex (in a file
 * or a string) so it can be generated with {@code openssl rand -hex 32}. One instance per link: the MAC is stateful and
 * belongs to the link's driving thread; its scratch memory is allocated once.
 */
public final class LinkKey
{
    /** Bytes of the keyed MAC carried in a frame. */
    public static final int MAC_LENGTH = 32;
    /** Shortest key accepted, in bytes. */
    public static final int MIN_KEY_LENGTH = 16;
    private static final String ALGORITHM = "HmacSHA256";

    private final Mac mac;
    private final byte[] computed = new byte[MAC_LENGTH];
    private final byte[] carried = new byte[MAC_LENGTH];

    private LinkKey(final byte[] key)
    {
        if (key.length < MIN_KEY_LENGTH)
        {
            throw new IllegalArgumentException("link key must be at least " + MIN_KEY_LENGTH + " bytes, got " +
                key.length);
        }
        try
        {
            mac = Mac.getInstance(ALGORITHM);
            mac.init(new SecretKeySpec(key, ALGORITHM));
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("the JDK has no " + ALGORITHM, ex);
        }
    }

    /**
     * @param hex the key as hex digits (whitespace around it ignored).
     * @return the key.
     * @throws IllegalArgumentException when it is not hex or shorter than {@link #MIN_KEY_LENGTH} bytes.
     */
    public static LinkKey fromHex(final String hex)
    {
        final String digits = hex.strip();
        try
        {
            return new LinkKey(HexFormat.of().parseHex(digits));
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException("link key: " + ex.getMessage() + " (expected hex digits, e.g. from " +
                "'openssl rand -hex 32')", ex);
        }
    }

    /**
     * @param file a file holding the key as hex digits.
     * @return the key.
     * @throws IOException when the file cannot be read.
     * @throws IllegalArgumentException naming the file when its content is not a valid key.
     */
    public static LinkKey fromFile(final Path file) throws IOException
    {
        try
        {
            return fromHex(Files.readString(file));
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException(file + ": " + ex.getMessage(), ex);
        }
    }

    /**
     * Write the keyed MAC of {@code length} bytes at {@code offset} into {@code memory} at {@code macAt}.
     */
    void sign(final MemorySegment memory, final long offset, final int length, final long macAt)
    {
        compute(memory, offset, length);
        MemorySegment.copy(computed, 0, memory, ValueLayout.JAVA_BYTE, macAt, MAC_LENGTH);
    }

    /**
     * @return whether the keyed MAC at {@code macAt} is that of the {@code length} bytes at {@code offset}
     *         (compared in constant time).
     */
    boolean verify(final MemorySegment memory, final long offset, final int length, final long macAt)
    {
        compute(memory, offset, length);
        MemorySegment.copy(memory, ValueLayout.JAVA_BYTE, macAt, carried, 0, MAC_LENGTH);
        return MessageDigest.isEqual(computed, carried);
    }

    private void compute(final MemorySegment memory, final long offset, final int length)
    {
        final ByteBuffer bytes = memory.asSlice(offset, length).asByteBuffer();
        mac.update(bytes);
        try
        {
            mac.doFinal(computed, 0);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("HMAC output buffer", ex);
        }
    }
}
