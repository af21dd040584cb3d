// Redis carries only queues. BullMQ needs maxRetriesPerRequest: null on its connections.
import { Redis } from 'ioredis';
import type { Logger } from './logger.js';

export function openRedis(redisUrl: string): Redis {
  return new Redis(redisUrl, { maxRetriesPerRequest: null, lazyConnect: false });
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
