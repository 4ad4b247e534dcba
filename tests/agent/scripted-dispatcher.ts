// A dispatcher whose service worker is the test: each event waits for the test to settle it.
import type { DispatchResult, Dispatcher, SyncDispatch } from "../../agent/dispatcher.js";

export interface Delivery extends SyncDispatch {
  settle(result: DispatchResult): void;
}

export class ScriptedDispatcher implements Dispatcher {
  readonly deliveries: Delivery[] = [];
  /** When set, every event settles at once with this result. */
  auto: DispatchResult | undefined;

  dispatch(event: SyncDispatch): Promise<DispatchResult> {
    if (this.auto) {
      this.deliveries.push({ ...event, settle: () => {} });
      return Promise.resolve(this.auto);
    }
    return new Promise((resolve) => this.deliveries.push({ ...event, settle: resolve }));
  }

  last(): Delivery {
    const d = this.deliveries.at(-1);
    if (!d) throw new Error("nothing was dispatched");
    return d;
  }
}
