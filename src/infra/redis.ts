// Redis carries only queues. BullMQ needs maxRetriesPerRequest: null on its connections.
import { Redis } from 'ioredis';
import type { Logger } from './logger.js';

export function openRedis(redisUrl: string): Redis {
  return new Redis(redisUrl, { maxRetriesPerRequest: null, lazyConnect: false });
}

/**
 * For the API, which only looks at the queues (readiness, queue depths, the queue board): a
 * command fails at once while Redis is away instead of waiting for it, so a probe or a scrape
 * answers promptly; it reconnects in the background like any other.
 */
export function openObservingRedis(redisUrl: string): Redis {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null, enableOfflineQueue: false });
  // Its trouble is answered by the readiness probe, not logged for every reconnect attempt.
  connection.on('error', () => undefined);
  return connection;
}

/**
 * Logs one line when Redis cannot be reached (lost, or not there at start) and one when it is
 * connected again. ioredis itself reports every failed reconnect attempt (an 'error' event with
 * a stack), which says nothing new. Returns the function that stops reporting (before a
 * deliberate disconnect).
 */
export function reportConnectionState(connection: Redis, logger: Logger): () => void {
  let lost = false;
  // 'reconnecting' comes only when a connection ends, or fails to open, without being asked to.
  const onReconnecting = () => {
    if (!lost) logger.warn('redis unreachable; reconnecting');
    lost = true;
  };
  const onReady = () => {
    if (lost) logger.info('redis connected again');
    lost = false;
  };
  connection.on('reconnecting', onReconnecting);
  connection.on('ready', onReady);
  return () => {
    connection.off('reconnecting', onReconnecting);
    connection.off('ready', onReady);
  };
}

export type { Redis };
