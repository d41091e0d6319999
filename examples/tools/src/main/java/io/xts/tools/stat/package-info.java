/**
 * xts stat: the counters of running XTS processes, read from their counters files, live or once, as text or JSON.
 */
package io.xts.tools.stat;
