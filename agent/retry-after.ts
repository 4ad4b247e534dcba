// How a sync handler tells the scheduler when to retry (WICG/background-sync#179): it rejects
// `waitUntil` with the server's Response, whose Retry-After header says it (seconds or an HTTP
// date), or with any value carrying `retryAfter`, a number of seconds:
//
//   self.addEventListener("sync", (event) => event.waitUntil(
//     fetch("/messages", { method: "POST", body }).then((response) => { if (!response.ok) throw response; })));
//
// The retry then waits at least that long (spread over one more such period when the policy
// jitters). The Web API has no such channel; a handler written this way runs unchanged where
// the native API ignores the value.

/** The longest wait a handler can ask for: a broken header must not park a registration for years. */
export const MAX_RETRY_AFTER_MS = 86_400_000;

interface HeadersLike {
  get(name: string): string | null;
}

/** The wait in ms that a rejection reason asks for, or undefined; `now` is the wall clock (ms). */
export function retryAfterOf(reason: unknown, now: number): number | undefined {
  if (typeof reason !== "object" || reason === null) return undefined;
  const headers = (reason as { headers?: unknown }).headers;
  if (typeof headers === "object" && headers !== null && typeof (headers as HeadersLike).get === "function") {
    const header = (headers as HeadersLike).get("retry-after");
    return header === null ? undefined : parseRetryAfterHeader(header, now);
  }
  const seconds = (reason as { retryAfter?: unknown }).retryAfter;
  return typeof seconds === "number" && Number.isFinite(seconds) && seconds > 0 ? capped(seconds * 1000) : undefined;
}

/** RFC 9110 §10.2.3: delay-seconds or an HTTP-date. */
export function parseRetryAfterHeader(value: string, now: number): number | undefined {
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) > 0 ? capped(Number(text) * 1000) : undefined;
  const at = Date.parse(text);
  return Number.isFinite(at) && at > now ? capped(at - now) : undefined;
}

const capped = (ms: number): number => Math.min(ms, MAX_RETRY_AFTER_MS);
