/**
 * The machine's Redis for tests (127.0.0.1:6379, or LUNAR_TEST_REDIS_URL). A suite that
 * needs it fails, saying how to start it, when it does not answer; each suite keeps its
 * keys under a prefix of its own and removes them afterwards.
 */
import Redis from 'ioredis';

export const TEST_REDIS_URL = process.env.LUNAR_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export async function connectTestRedis(): Promise<Redis> {
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    throw new Error(
      `These tests need Redis at ${TEST_REDIS_URL} and it does not answer (${(error as Error).message}). ` +
        'Start it (`redis-server --daemonize yes`, or `sudo service redis-server start`) and run the tests again.',
    );
  }
  return redis;
}

/** Every key matching `pattern` (SCAN, not KEYS: the machine's Redis may hold much else). */
export async function keysMatching(redis: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    keys.push(...found);
  } while (cursor !== '0');
  return keys;
}

/** Removes a suite's keys and closes the connection; returns what was left after the removal (expected: nothing). */
export async function removeKeysAndQuit(redis: Redis | undefined, pattern: string): Promise<string[]> {
  if (redis?.status !== 'ready') {
    redis?.disconnect();
    return [];
  }
  const keys = await keysMatching(redis, pattern);
  if (keys.length > 0) await redis.del(...keys);
  const left = await keysMatching(redis, pattern);
  await redis.quit();
  return left;
}
