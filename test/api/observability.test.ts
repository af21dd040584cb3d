// The route label of the HTTP metrics and request log lines: the route as registered, with its
// mount prefix, and never a path segment of the request itself (an id, a query).
import type { Request } from 'express';
import { describe, expect, it } from 'vitest';
import { routePatternOf } from '../../src/api/observability.js';
import { safeEqual } from '../../src/api/tokens.js';

const requestAt = (originalUrl: string, routePath?: string | string[]) =>
  ({ originalUrl, route: routePath === undefined ? undefined : { path: routePath } }) as Request;

describe('routePatternOf', () => {
  it.each([
    ['/v1/claims/4b1f0f3e-7a52-4c4f-9a8e-2f9f4f0e8c11', '/claims/:id', '/v1/claims/:id'],
    ['/v1/claims/4b1f?include=lines&pcn=PCN-1', '/claims/:id', '/v1/claims/:id'],
    ['/v1/claims/4b1f/', '/claims/:id', '/v1/claims/:id'],
    ['/v1/fhir/Claim/abc', '/Claim/:id', '/v1/fhir/Claim/:id'],
    [
      '/v1/settlement/batches/b-1/835',
      '/settlement/batches/:id/835',
      '/v1/settlement/batches/:id/835',
    ],
    ['/healthz', '/healthz', '/healthz'],
    ['/admin/queues/api/queues', '/api/queues', '/admin/queues/api/queues'],
    ['/admin/queues', '/', '/admin/queues'],
    ['/admin/queues/queue/sealing', ['/', '/queue/:queueName'], '/admin/queues/queue/:queueName'],
  ])('%s matched by %s is labelled %s', (url, pattern, label) => {
    expect(routePatternOf(requestAt(url, pattern))).toBe(label);
  });

  it('labels a request no route answered "unmatched", whatever its path', () => {
    expect(routePatternOf(requestAt('/v1/claims/4b1f0f3e'))).toBe('unmatched');
    expect(routePatternOf(requestAt('/no/such/W123456789'))).toBe('unmatched');
    // A route whose fixed segments do not fit the path (never expected from express).
    expect(routePatternOf(requestAt('/v1/other/4b1f', '/claims/:id'))).toBe('unmatched');
  });
});

describe('safeEqual', () => {
  it('is true only for the same text', () => {
    expect(safeEqual('scrape-token-0123456789', 'scrape-token-0123456789')).toBe(true);
    expect(safeEqual('scrape-token-0123456788', 'scrape-token-0123456789')).toBe(false);
    expect(safeEqual('', 'scrape-token-0123456789')).toBe(false);
    expect(safeEqual('scrape-token-0123456789-and-more', 'scrape-token-0123456789')).toBe(false);
  });
});
