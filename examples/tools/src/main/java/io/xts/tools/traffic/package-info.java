/**
 * Raw-frame traffic for the driver benchmark and the driver system tests: test frames with sequence numbers and
 * payload patterns, a generator and a sink that count and check them, allocation counting.
 */
package io.xts.tools.traffic;
