/** memcached's exptime: seconds from now, or past 30 days a Unix time; what its parser takes. */

/** Beyond this many seconds memcached reads an exptime as a Unix time, not as seconds from now. */
export const MAX_RELATIVE_EXPTIME = 30 * 24 * 3600;

/** Largest exptime memcached parses (a signed 32-bit integer). */
export const MAX_EXPTIME = 2 ** 31 - 1;
