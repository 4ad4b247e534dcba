// What a rejection reason says about when to retry: a Response's Retry-After header (seconds
// or an HTTP date, RFC 9110 §10.2.3) or a `retryAfter` in seconds; nothing from anything else.
import t from "tap";
import { MAX_RETRY_AFTER_MS, parseRetryAfterHeader, retryAfterOf } from "../../agent/retry-after.js";

const now = Date.parse("2026-12-02T10:00:00Z");

t.test("the header: delay-seconds or an HTTP-date, later than now", async (t) => {
  t.equal(parseRetryAfterHeader("120", now), 120_000);
  t.equal(parseRetryAfterHeader(" 5 ", now), 5000);
  t.equal(parseRetryAfterHeader("Wed, 02 Dec 2026 10:01:30 GMT", now), 90_000);
  t.equal(parseRetryAfterHeader("Wed, 02 Dec 2026 09:59:00 GMT", now), undefined, "a date in the past asks for nothing");
  t.equal(parseRetryAfterHeader("0", now), undefined);
  for (const junk of ["", "-5", "1.5", "soon", "12abc", "0x10"]) t.equal(parseRetryAfterHeader(junk, now), undefined, JSON.stringify(junk));
  t.equal(parseRetryAfterHeader("99999999999", now), MAX_RETRY_AFTER_MS, "capped at a day");
});

t.test("the reason: a Response, an object with retryAfter, or nothing", async (t) => {
  t.equal(retryAfterOf(new Response(null, { status: 503, headers: { "Retry-After": "30" } }), now), 30_000);
  t.equal(retryAfterOf(new Response(null, { status: 500 }), now), undefined, "a response without the header");
  t.equal(retryAfterOf({ retryAfter: 2.5 }, now), 2500);
  t.equal(retryAfterOf(Object.assign(new Error("busy"), { retryAfter: 10 }), now), 10_000);
  for (const reason of [undefined, null, "30", 30, new Error("x"), { retryAfter: "30" }, { retryAfter: -1 }, { retryAfter: Number.NaN }, { headers: {} }]) {
    t.equal(retryAfterOf(reason, now), undefined, String(JSON.stringify(reason)));
  }
});
