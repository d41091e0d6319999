/**
 * What the benchmark scripts run and print: the stream client of scripts/bench-stream, the round-trip client of
 * scripts/bench-rtt, the NVMe benchmark's result records, report and charts.
 */
package io.xts.tools.bench;
