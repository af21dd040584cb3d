// The API key cache: one look-up per key at a time, refreshed ahead of expiry while the key is in
// use, never answering from an entry past its TTL or one revoked in this process.
import { describe, expect, it } from 'vitest';
import { PrincipalCache } from '../../src/api/auth.js';
import type { Principal } from '../../src/domain/organizations.js';

const principal: Principal = {
  keyId: 'key-1',
  orgId: 'org-1',
  orgKind: 'provider',
  role: 'provider_biller',
};

/** A look-up the test finishes by hand, counting how often it was started. */
function controlledLookup() {
  const calls: { resolve: (value: Principal | undefined) => void; reject: (e: Error) => void }[] =
    [];
  const lookup = () =>
    new Promise<Principal | undefined>((resolve, reject) => calls.push({ resolve, reject }));
  return { calls, lookup };
}

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

/** A cache whose first look-up of key hash 'h' found `principal` at the clock's start. */
async function cacheHoldingPrincipal() {
  const time = clock();
  const cache = new PrincipalCache(time.now);
  const { calls, lookup } = controlledLookup();
  const first = cache.resolve('h', lookup);
  calls[0]!.resolve(principal);
  await first;
  return { time, cache, calls, lookup };
}

/** The next request for key hash 'h' runs look-up number `count`, which finds the key revoked. */
async function expectLookedUpAndRevoked(
  cache: PrincipalCache,
  { calls, lookup }: ReturnType<typeof controlledLookup>,
  count: number,
) {
  const next = cache.resolve('h', lookup);
  expect(calls).toHaveLength(count);
  calls[count - 1]!.resolve(undefined);
  expect(await next).toBeUndefined();
}

/** A cache whose key was revoked in this process while its first look-up was running. */
function cacheRevokedDuringLookUp() {
  const cache = new PrincipalCache(clock().now);
  const { calls, lookup } = controlledLookup();
  const before = cache.resolve('h', lookup);
  cache.forgetKey(principal.keyId);
  return { cache, calls, lookup, before };
}

describe('PrincipalCache', () => {
  it('runs one look-up for requests that miss at once, and answers them all from it', async () => {
    const cache = new PrincipalCache(clock().now);
    const { calls, lookup } = controlledLookup();
    const answers = Promise.all(Array.from({ length: 100 }, () => cache.resolve('h', lookup)));
    expect(calls).toHaveLength(1);
    calls[0]!.resolve(principal);
    expect(await answers).toEqual(Array.from({ length: 100 }, () => principal));
    // Cached: no look-up for the next request.
    expect(await cache.resolve('h', lookup)).toBe(principal);
    expect(calls).toHaveLength(1);
  });

  it('answers from the entry in its last second while one look-up refreshes it', async () => {
    const { time, cache, calls, lookup } = await cacheHoldingPrincipal();

    time.advance(3_999); // 1 ms before the refresh window
    expect(await cache.resolve('h', lookup)).toBe(principal);
    expect(calls).toHaveLength(1);

    time.advance(2); // inside it: answered at once, one refresh started however many ask
    expect(await cache.resolve('h', lookup)).toBe(principal);
    expect(await cache.resolve('h', lookup)).toBe(principal);
    expect(calls).toHaveLength(2);
    calls[1]!.resolve(principal);
    await Promise.resolve();
    await Promise.resolve();

    // The refresh renewed the entry for a full TTL from when it finished.
    time.advance(4_000);
    expect(await cache.resolve('h', lookup)).toBe(principal);
    expect(calls).toHaveLength(2);
  });

  it('makes requests past the TTL wait for the look-up, and a failed look-up fails them', async () => {
    const { time, cache, calls, lookup } = await cacheHoldingPrincipal();

    time.advance(5_001);
    const waiting = Promise.allSettled([cache.resolve('h', lookup), cache.resolve('h', lookup)]);
    expect(calls).toHaveLength(2);
    calls[1]!.reject(new Error('database unavailable'));
    expect((await waiting).map((each) => each.status)).toEqual(['rejected', 'rejected']);

    // Nothing was cached from the failure: the next request looks up again.
    const again = cache.resolve('h', lookup);
    expect(calls).toHaveLength(3);
    calls[2]!.resolve(principal);
    expect(await again).toBe(principal);
  });

  it('keeps the entry when a refresh fails, until it expires', async () => {
    const { time, cache, calls, lookup } = await cacheHoldingPrincipal();

    time.advance(4_500);
    expect(await cache.resolve('h', lookup)).toBe(principal);
    calls[1]!.reject(new Error('database unavailable'));
    await new Promise((resolve) => setImmediate(resolve));
    time.advance(400);
    expect(await cache.resolve('h', lookup)).toBe(principal);
    time.advance(200); // past the TTL of the first look-up
    await expectLookedUpAndRevoked(cache, { calls, lookup }, 3);
  });

  it('drops a key that a refresh finds revoked', async () => {
    const { time, cache, calls, lookup } = await cacheHoldingPrincipal();

    time.advance(4_500);
    expect(await cache.resolve('h', lookup)).toBe(principal);
    calls[1]!.resolve(undefined); // revoked by another process
    await new Promise((resolve) => setImmediate(resolve));
    await expectLookedUpAndRevoked(cache, { calls, lookup }, 3);
  });

  it('does not store what a look-up begun before a revocation in this process read', async () => {
    const { cache, calls, lookup, before } = cacheRevokedDuringLookUp();
    calls[0]!.resolve(principal); // read before the revocation committed
    expect(await before).toBe(principal);

    await expectLookedUpAndRevoked(cache, { calls, lookup }, 2);
  });

  it('makes a request after a revocation run its own look-up, not join one begun before', async () => {
    const { cache, calls, lookup, before } = cacheRevokedDuringLookUp();
    const after = cache.resolve('h', lookup);
    expect(calls).toHaveLength(2);
    calls[1]!.resolve(undefined); // reads the revocation
    calls[0]!.resolve(principal); // read before it
    expect(await after).toBeUndefined();
    expect(await before).toBe(principal);
    // Neither left an entry: the next request looks the key up again.
    cache.resolve('h', lookup).catch(() => undefined);
    expect(calls).toHaveLength(3);
  });

  it("still stores another key's look-up that was in flight during a revocation", async () => {
    const cache = new PrincipalCache(clock().now);
    const other: Principal = { ...principal, keyId: 'key-2' };
    const { calls, lookup } = controlledLookup();
    const revokedKey = cache.resolve('h', lookup);
    const otherKey = cache.resolve('h2', lookup);
    cache.forgetKey(principal.keyId);
    calls[0]!.resolve(principal);
    calls[1]!.resolve(other);
    expect(await revokedKey).toBe(principal);
    expect(await otherKey).toBe(other);

    // key-2 answers from its entry; key-1 is looked up again.
    const stored = cache.resolve('h2', lookup);
    expect(calls).toHaveLength(2);
    expect(await stored).toBe(other);
    await expectLookedUpAndRevoked(cache, { calls, lookup }, 3);
  });

  it('stores a look-up begun after a revocation whose in-flight look-ups have all ended', async () => {
    const { cache, calls, lookup } = await cacheHoldingPrincipal();
    cache.forgetKey(principal.keyId); // none in flight: nothing to remember
    const later = cache.resolve('h', lookup);
    // Begun after the revocation, it read the database as it is now: what it read is stored.
    calls[1]!.resolve(principal);
    expect(await later).toBe(principal);
    const stored = cache.resolve('h', lookup);
    expect(calls).toHaveLength(2);
    expect(await stored).toBe(principal);
  });
});
