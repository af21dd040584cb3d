// Polling with a bounded deadline, for tests that wait on workers or servers: generous enough
// for a busy 2-core machine, and never a fixed sleep that is too short on a bad day.

/** Deadline of a wait unless one is given. */
export const WAIT_DEADLINE_MS = 30_000;
const POLL_MS = 100;

/**
 * Reads until `done` holds for the value read or the deadline passes; returns the last value
 * read, for the test to assert on (so a timeout fails with what was seen, not a bare timeout).
 */
export async function waitFor<T>(
  read: () => T | Promise<T>,
  done: (value: T) => boolean,
  deadlineMs = WAIT_DEADLINE_MS,
): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    value = await read();
  }
  return value;
}
