/**
 * The xts launcher: one command-line entry point that dispatches to the proxy, the examples and every tool.
 */
package io.xts.tools;
