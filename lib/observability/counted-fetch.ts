// Counts every registry request by method and status at the one seam all registry traffic passes:
// the fetch handed to lib/oci. Wrapping fetch keeps lib/oci free of metrics.
import type { Counter } from "./metrics.ts";

export function countedFetch(fetchImpl: typeof fetch, counter: Counter<"method" | "status">): typeof fetch {
  return async (input, init) => {
    const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
    try {
      const response = await fetchImpl(input, init);
      counter.inc({ method, status: String(response.status) });
      return response;
    } catch (error) {
      counter.inc({ method, status: "error" });
      throw error;
    }
  };
}
