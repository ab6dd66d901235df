// When the overlay tries the server again after a lost connection: 0.25 s doubling to 2 s, so a
// server that comes back is found within 2 s (2.4 s with the jitter), whenever it returns.
// ``jitter`` (0.8-1.2 on the live socket) keeps many pages of one restarted server apart.
export const RETRY_MAX_MS = 2000;

export function retryDelayMs(retries, jitter = 1) {
  return Math.min(RETRY_MAX_MS, 250 * 2 ** retries) * jitter;
}
