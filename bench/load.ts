// How the benchmarks drive and count load: a bounded pool of workers, and a fetch that counts every
// request whoever sends it, the same wrapper for Countersign and for the plain-fetch baselines.

/** Runs `work` over `items` with at most `concurrency` in flight. */
export async function pool<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

export function countingFetch(): { fetch: typeof fetch; count: () => number; reset: () => void } {
  let requests = 0;
  return {
    fetch: (input, init) => {
      requests++;
      return fetch(input, init);
    },
    count: () => requests,
    reset: () => {
      requests = 0;
    },
  };
}
