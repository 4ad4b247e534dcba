// How long the agent waits between attempts to reach its MQTT broker: gRPC's connection
// back-off (1 s, ×1.6, ±20 % jitter, at most 120 s; each attempt may take at least 20 s to
// connect), not mqtt.js's fixed 1 s, so a fleet that lost its broker at the same moment does
// not come back in the same second. Unlike gRPC, the first delay is jittered too: gRPC
// retries at exactly +1 s, which is a spike when a thousand devices lost the broker together.

export interface ReconnectBackoffOptions {
  /** Default 1000 ms. */
  initialMs?: number;
  /** Default 1.6. */
  multiplier?: number;
  /** Each delay is spread uniformly over ±jitter of itself. Default 0.2. */
  jitter?: number;
  /** Default 120000 ms. */
  maxMs?: number;
  /** The least time an attempt may take to connect. Default 20000 ms. */
  minConnectTimeoutMs?: number;
}

export const GRPC_BACKOFF: Required<ReconnectBackoffOptions> = {
  initialMs: 1000,
  multiplier: 1.6,
  jitter: 0.2,
  maxMs: 120_000,
  minConnectTimeoutMs: 20_000,
};

export class ReconnectBackoff {
  readonly options: Required<ReconnectBackoffOptions>;
  readonly #random: () => number;
  #backoff: number;

  /** `random`: uniform in [0, 1); a seeded one makes the curve reproducible. */
  constructor(options: ReconnectBackoffOptions = {}, random: () => number = Math.random) {
    const o = { ...GRPC_BACKOFF, ...options };
    for (const key of ["initialMs", "maxMs", "minConnectTimeoutMs"] as const) {
      if (!(o[key] > 0 && o[key] < Infinity)) throw new RangeError(`${key} must be a positive number, got ${o[key]}`);
    }
    if (!(o.multiplier >= 1 && o.multiplier < Infinity)) throw new RangeError(`multiplier must be at least 1, got ${o.multiplier}`);
    if (!(o.jitter >= 0 && o.jitter < 1)) throw new RangeError(`jitter must be in [0, 1), got ${o.jitter}`);
    if (o.maxMs < o.initialMs) throw new RangeError(`maxMs (${o.maxMs}) is below initialMs (${o.initialMs})`);
    this.options = o;
    this.#random = random;
    this.#backoff = o.initialMs;
  }

  /** The link is up: the next loss starts from the initial delay again. */
  reset(): void {
    this.#backoff = this.options.initialMs;
  }

  /**
   * The wait before the next attempt (measured from the start of the previous attempt, or
   * from the loss for the first), and how long that attempt may take to connect.
   */
  next(): { delayMs: number; connectTimeoutMs: number } {
    const { jitter, multiplier, maxMs, minConnectTimeoutMs } = this.options;
    const base = this.#backoff;
    this.#backoff = Math.min(base * multiplier, maxMs);
    const delayMs = base * (1 + jitter * (2 * this.#random() - 1));
    return { delayMs, connectTimeoutMs: Math.max(delayMs, minConnectTimeoutMs) };
  }
}
