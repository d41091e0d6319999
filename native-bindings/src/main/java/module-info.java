/**
 * The FFM bindings to libxdp, libbpf and libc, and the Java AF_XDP driver on top of them. Only the driver is API;
 * the bindings stay inside. This is the one module that needs native access: grant it by name,
 * {@code --enable-native-access=io.xts.bindings}, on the module path.
 */
module io.xts.bindings
{
    exports io.xts.xsk;
}
