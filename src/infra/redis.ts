// Redis carries only queues. BullMQ needs maxRetriesPerRequest: null on its connections.
import { Redis } from 'ioredis';

export function openRedis(redisUrl: string): Redis {
  return new Redis(redisUrl, { maxRetriesPerRequest: null, lazyConnect: false });
}

export type { Redis };
