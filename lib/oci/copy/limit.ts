// A counting semaphore for copy's network and disk operations. Only leaf operations take a slot:
// a manifest waiting for its children holds none, so nesting cannot deadlock.

export type Limiter = <T>(operation: () => Promise<T>) => Promise<T>;

export function createLimiter(concurrency: number): Limiter {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  }
  let active = 0;
  const waiting: (() => void)[] = [];
  const release = (): void => {
    active--;
    waiting.shift()?.();
  };
  return async (operation) => {
    if (active >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await operation();
    } finally {
      release();
    }
  };
}
