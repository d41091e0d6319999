package io.xts.bindings;

import io.xts.bindings.libbpf.libbpf_h;
import io.xts.bindings.libc.libc_h;
import io.xts.bindings.libc.pollfd;
import io.xts.bindings.libxdp.libxdp_h;
import io.xts.bindings.libxdp.xsk_h;
import io.xts.bindings.libxdp.xsk_ring_cons;
import io.xts.bindings.libxdp.xsk_ring_prod;
import io.xts.bindings.libxdp.xsk_socket_config;
import io.xts.bindings.libxdp.xsk_umem_config;
import io.xts.bindings.linux.if_xdp_h;
import io.xts.bindings.linux.xdp_desc;
import io.xts.bindings.linux.xdp_options;
import io.xts.bindings.linux.xdp_statistics;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Guards the hand-written FFM bindings against the installed C headers: a small C program, generated from the Java
 * classes themselves and including {@code native-bindings/jextract/headers.h}, is compiled with gcc and prints
 * {@code sizeof}, {@code offsetof} and the member size of every field each struct class lists in
 * {@code fieldNames()}, and the value of every constant the header classes declare. Each struct and each constant is
 * its own test case, so a wrong layout names the struct and the field. It also keeps
 * {@code native-bindings/jextract/includes.txt} equal to what the Java classes bind. Needs gcc and the development
 * headers (scripts/setup installs them), not privileges, and does not link against libxdp.
 */
class StructLayoutTest
{
    /** The struct classes; the C struct has the class's simple name. */
    private static final List<Class<?>> STRUCTS = List.of(
        xsk_umem_config.class, xsk_socket_config.class, xsk_ring_prod.class, xsk_ring_cons.class,
        xdp_desc.class, xdp_statistics.class, xdp_options.class, pollfd.class);

    /** The header classes whose {@code public static final} primitive fields are C constants. */
    private static final List<Class<?>> HEADERS = List.of(
        if_xdp_h.class, xsk_h.class, libxdp_h.class, libc_h.class, libbpf_h.class);

    /** Enum constants: not macros, so {@code #ifdef} cannot probe them; they must exist. */
    private static final Set<String> ENUM_CONSTANTS = Set.of(
        "XDP_MODE_UNSPEC", "XDP_MODE_NATIVE", "XDP_MODE_SKB", "XDP_MODE_HW", "BPF_ANY");

    /**
     * Constants newer than the Debian 12 kernel headers (linux-libc-dev 6.1): multi-buffer AF_XDP came with 6.6.
     * They are checked when the installed header has them and skipped only when it does not.
     */
    private static final Set<String> MAY_BE_ABSENT = Set.of("XDP_USE_SG", "XDP_PKT_CONTD");


    @TempDir
    static Path workDir;

    /** What the C program printed: "sizeof S", "offsetof S.f", "membersize S.f", "const NAME" to a value. */
    private static final Map<String, Long> C_VALUES = new HashMap<>();
    /** Constants the C program reported as not defined by the installed headers. */
    private static final Set<String> C_ABSENT = new TreeSet<>();

    @BeforeAll
    static void compileAndRunProbe() throws IOException, InterruptedException
    {
        final Path source = workDir.resolve("layout_probe.c");
        final Path binary = workDir.resolve("layout_probe");
        Files.writeString(source, probeSource(), StandardCharsets.UTF_8);

        final List<String> compile = List.of(
            "gcc", "-std=gnu11", "-Wall", "-o", binary.toString(), source.toString());
        final Result compiled;
        try
        {
            compiled = run(compile);
        }
        catch (final IOException ex)
        {
            fail("gcc is needed to check the FFM struct layouts against the C headers but could not be started (" +
                ex.getMessage() + "): run scripts/setup to install gcc, libxdp-dev, libbpf-dev and linux-libc-dev");
            return;
        }
        if (0 != compiled.exitCode())
        {
            fail("gcc could not compile the layout probe (missing headers? run scripts/setup to install " +
                "libxdp-dev, libbpf-dev and linux-libc-dev):\n" + compiled.output() + "\nsource " + source + ":\n" +
                Files.readString(source));
        }

        final Result probed = run(List.of(binary.toString()));
        assertEquals(0, probed.exitCode(), () -> "layout probe failed:\n" + probed.output());
        for (final String line : probed.output().split("\n"))
        {
            if (line.isBlank())
            {
                continue;
            }
            final String[] parts = line.trim().split(" ");
            if ("absent".equals(parts[0]))
            {
                C_ABSENT.add(parts[1]);
            }
            else
            {
                C_VALUES.put(parts[0] + " " + parts[1], Long.parseLong(parts[2]));
            }
        }
    }

    static Stream<Arguments> structs()
    {
        return STRUCTS.stream().map(c -> Arguments.of(c.getSimpleName(), c));
    }

    static Stream<Arguments> constants()
    {
        return HEADERS.stream().flatMap(h -> constantsOf(h).stream().map(f -> Arguments.of(
            h.getSimpleName() + "." + f.getName(), f)));
    }

    @ParameterizedTest(name = "struct {0}")
    @MethodSource("structs")
    void shouldMatchSizeofAndOffsetofOfEveryFieldAsGccSeesThem(final String struct, final Class<?> structClass)
        throws ReflectiveOperationException
    {
        final long sizeof = (long)structClass.getMethod("sizeof").invoke(null);
        assertEquals(cValue("sizeof " + struct), sizeof, "sizeof(struct " + struct + ") in " + structClass.getName());

        final GroupLayout layout = (GroupLayout)structClass.getMethod("layout").invoke(null);
        assertEquals(cValue("sizeof " + struct), layout.byteSize(), "layout().byteSize() of " + struct);

        final String[] fields = fieldNames(structClass);
        assertTrue(fields.length > 0, struct + ".fieldNames() lists no field");
        for (final String field : fields)
        {
            final Method offsetAccessor = structClass.getMethod(field + "$offset");
            final long offset = (long)offsetAccessor.invoke(null);
            assertEquals(cValue("offsetof " + struct + "." + field), offset,
                "offsetof(struct " + struct + ", " + field + ") vs " + structClass.getSimpleName() + "." +
                field + "$offset()");

            final long memberSize = layout.select(MemoryLayout.PathElement.groupElement(field)).byteSize();
            assertEquals(cValue("membersize " + struct + "." + field), memberSize,
                "sizeof(((struct " + struct + " *)0)->" + field + ") vs the Java layout of " + field);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("constants")
    void shouldMatchConstantAsDefinedByTheInstalledHeaders(final String qualified, final Field constant)
        throws IllegalAccessException
    {
        final String name = constant.getName();
        final long javaValue = ((Number)constant.get(null)).longValue();
        if (C_ABSENT.contains(name))
        {
            if (MAY_BE_ABSENT.contains(name))
            {
                Assumptions.abort(name + " is not in the installed kernel headers " +
                    "(linux-libc-dev older than 6.6); the Java value " + javaValue + " is the kernel's UAPI value");
            }
            fail(qualified + " = " + javaValue + " is not defined by the installed headers: a typo, a missing " +
                "#include in StructLayoutTest, or a constant that belongs in MAY_BE_ABSENT");
        }
        assertEquals(cValue("const " + name), javaValue, qualified);
    }

    @Test
    void shouldCoverEveryStructClassOfTheBindings() throws IOException, URISyntaxException
    {
        final Path root = Path.of(pollfd.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        final Set<String> found = new TreeSet<>();
        try (Stream<Path> files = Files.walk(root.resolve("io/xts/bindings")))
        {
            for (final Path file : files.filter(p -> p.toString().endsWith(".class")).toList())
            {
                final String name = root.relativize(file).toString().replace('/', '.').replaceAll("\\.class$", "");
                if (name.contains("$"))
                {
                    continue;
                }
                if (declaresFieldNames(name))
                {
                    found.add(name);
                }
            }
        }
        final Set<String> covered = new TreeSet<>();
        STRUCTS.forEach(c -> covered.add(c.getName()));
        assertEquals(covered, found, "struct classes with fieldNames() must all be listed in StructLayoutTest.STRUCTS");
    }

    @Test
    void shouldProbeEveryConstantNamedInTheBrief()
    {
        for (final String name : List.of(
            "SOL_XDP", "XDP_STATISTICS", "XDP_OPTIONS", "XDP_COPY", "XDP_ZEROCOPY", "XDP_USE_NEED_WAKEUP",
            "XDP_RING_NEED_WAKEUP", "XDP_OPTIONS_ZEROCOPY", "XDP_SHARED_UMEM", "XDP_MODE_NATIVE", "XDP_MODE_SKB",
            "XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD", "POLLIN", "MSG_DONTWAIT", "CLONE_NEWNET", "EPERM", "EBUSY",
            "EAGAIN", "EINVAL", "ENOMEM", "ENODEV", "EOPNOTSUPP"))
        {
            assertNotNull(C_VALUES.get("const " + name), name + " was not probed in the installed headers");
        }
    }

    @Test
    void shouldListExactlyTheBoundSymbolsInTheJextractIncludes() throws IOException
    {
        final Map<String, Section> sections = readIncludes(jextractFile("includes.txt"));
        final Set<String> headerNames = new TreeSet<>();
        HEADERS.forEach(h -> headerNames.add(h.getSimpleName()));
        assertEquals(headerNames, sections.keySet(), "one '#### class' section per header class in includes.txt");

        final Set<String> structsInIncludes = new TreeSet<>();
        for (final Class<?> header : HEADERS)
        {
            final Section section = sections.get(header.getSimpleName());
            final String where = "includes.txt section " + header.getSimpleName();
            assertEquals(header.getPackageName(), section.pkg(), where + ": target package");

            final Set<String> functions = new TreeSet<>();
            for (final Method m : header.getDeclaredMethods())
            {
                if (Modifier.isPublic(m.getModifiers()) && m.getName().endsWith("$handle"))
                {
                    functions.add(m.getName().substring(0, m.getName().length() - "$handle".length()));
                }
            }
            assertEquals(functions, section.symbols().get("function"), where + ": --include-function");

            final Set<String> constants = new TreeSet<>();
            constantsOf(header).forEach(f -> constants.add(f.getName()));
            assertEquals(constants, section.symbols().get("constant"), where + ": --include-constant");

            for (final String struct : section.symbols().get("struct"))
            {
                structsInIncludes.add(struct);
                final boolean known = STRUCTS.stream().anyMatch(
                    c -> c.getSimpleName().equals(struct) && c.getPackageName().equals(header.getPackageName()));
                assertTrue(known, where + ": struct " + struct + " has no class in " + header.getPackageName() +
                    " listed in StructLayoutTest.STRUCTS");
            }
        }
        final Set<String> structNames = new TreeSet<>();
        STRUCTS.forEach(c -> structNames.add(c.getSimpleName()));
        assertEquals(structNames, structsInIncludes, "--include-struct lines in includes.txt");
    }

    /** One "#### class" section of includes.txt: target package and symbols by kind (function, constant, struct). */
    private record Section(String pkg, Map<String, Set<String>> symbols)
    {
    }

    private static Map<String, Section> readIncludes(final Path includes) throws IOException
    {
        final Map<String, Section> sections = new HashMap<>();
        Section current = null;
        for (final String raw : Files.readAllLines(includes, StandardCharsets.UTF_8))
        {
            final String line = raw.strip();
            if (line.startsWith("#### class "))
            {
                final String[] parts = line.split("\\s+");
                assertEquals(5, parts.length, "'#### class <name> <package> <library>' expected: " + line);
                current = new Section(parts[3], new HashMap<>());
                for (final String kind : List.of("function", "constant", "struct"))
                {
                    current.symbols().put(kind, new TreeSet<>());
                }
                sections.put(parts[2], current);
            }
            else if (line.startsWith("--include-"))
            {
                assertNotNull(current, "includes.txt: '" + line + "' before the first '#### class' line");
                final String[] parts = line.split("\\s+");
                final String kind = parts[0].substring("--include-".length());
                assertNotNull(current.symbols().get(kind), "includes.txt: unexpected kind in '" + line + "'");
                assertTrue(current.symbols().get(kind).add(parts[1]), "includes.txt: listed twice: " + line);
            }
            else
            {
                assertTrue(line.isEmpty() || line.startsWith("#"), "includes.txt: unexpected line '" + line + "'");
            }
        }
        return sections;
    }

    /**
     * @param name a file in native-bindings/jextract.
     * @return its absolute path, found from the module directory Maven runs the tests in.
     */
    static Path jextractFile(final String name)
    {
        final List<Path> candidates = new ArrayList<>();
        final String basedir = System.getProperty("basedir");
        if (null != basedir)
        {
            candidates.add(Path.of(basedir, "jextract", name));
        }
        final Path cwd = Path.of(System.getProperty("user.dir"));
        candidates.add(cwd.resolve("jextract").resolve(name));
        candidates.add(cwd.resolve("native-bindings").resolve("jextract").resolve(name));
        for (final Path candidate : candidates)
        {
            if (Files.isRegularFile(candidate))
            {
                return candidate.toAbsolutePath();
            }
        }
        throw new IllegalStateException("native-bindings/jextract/" + name + " not found; looked at " + candidates);
    }

    private static boolean declaresFieldNames(final String className)
    {
        try
        {
            final Method m = Class.forName(className, false, StructLayoutTest.class.getClassLoader())
                .getDeclaredMethod("fieldNames");
            return Modifier.isStatic(m.getModifiers());
        }
        catch (final ClassNotFoundException | NoSuchMethodException ex)
        {
            return false;
        }
    }

    private static long cValue(final String key)
    {
        final Long value = C_VALUES.get(key);
        assertNotNull(value, () -> "the C probe printed no '" + key + "'");
        return value;
    }

    private static String[] fieldNames(final Class<?> structClass) throws ReflectiveOperationException
    {
        return (String[])structClass.getMethod("fieldNames").invoke(null);
    }

    private static List<Field> constantsOf(final Class<?> header)
    {
        final List<Field> result = new ArrayList<>();
        for (final Field f : header.getDeclaredFields())
        {
            final int m = f.getModifiers();
            final Class<?> t = f.getType();
            if (Modifier.isPublic(m) && Modifier.isStatic(m) && Modifier.isFinal(m) &&
                (int.class == t || short.class == t || long.class == t || byte.class == t))
            {
                result.add(f);
            }
        }
        return result;
    }

    /**
     * @return a C program printing one line per fact: {@code sizeof S n}, {@code offsetof S.f n},
     *         {@code membersize S.f n}, {@code const NAME n}, or {@code absent NAME}.
     */
    static String probeSource()
    {
        final StringBuilder c = new StringBuilder()
            .append("/* Generated by StructLayoutTest from the Java binding classes. */\n")
            .append("#include \"").append(jextractFile("headers.h")).append("\"\n")
            .append("#include <stddef.h>\n#include <stdio.h>\n\nint main(void)\n{\n");
        for (final Class<?> structClass : STRUCTS)
        {
            final String s = structClass.getSimpleName();
            c.append("    printf(\"sizeof %s %zu\\n\", \"").append(s).append("\", sizeof(struct ").append(s)
                .append("));\n");
            final String[] fields;
            try
            {
                fields = fieldNames(structClass);
            }
            catch (final ReflectiveOperationException ex)
            {
                throw new IllegalStateException(structClass + " has no usable fieldNames()", ex);
            }
            for (final String f : fields)
            {
                c.append("    printf(\"offsetof %s %zu\\n\", \"").append(s).append('.').append(f)
                    .append("\", offsetof(struct ").append(s).append(", ").append(f).append("));\n");
                c.append("    printf(\"membersize %s %zu\\n\", \"").append(s).append('.').append(f)
                    .append("\", sizeof(((struct ").append(s).append(" *)0)->").append(f).append("));\n");
            }
        }
        final Set<String> seen = new TreeSet<>();
        for (final Class<?> header : HEADERS)
        {
            for (final Field f : constantsOf(header))
            {
                final String n = f.getName();
                if (!seen.add(n))
                {
                    continue;
                }
                final String print = "    printf(\"const %s %lld\\n\", \"" + n + "\", (long long)(" + n + "));\n";
                if (ENUM_CONSTANTS.contains(n))
                {
                    c.append(print);
                }
                else
                {
                    c.append("#ifdef ").append(n).append('\n').append(print).append("#else\n")
                        .append("    printf(\"absent %s\\n\", \"").append(n).append("\");\n").append("#endif\n");
                }
            }
        }
        c.append("    return 0;\n}\n");
        return c.toString();
    }

    private record Result(int exitCode, String output)
    {
    }

    private static Result run(final List<String> command) throws IOException, InterruptedException
    {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final byte[] out = process.getInputStream().readAllBytes();
        if (!process.waitFor(60, TimeUnit.SECONDS))
        {
            process.destroyForcibly();
            fail(String.join(" ", command) + " did not finish within 60 s");
        }
        return new Result(process.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
