// A user's request to the backend from a button: busy while it runs, and the error to show when it fails.
import type { BackendError } from "./backend";

export class Action {
  busy = $state(false);
  error = $state<BackendError | null>(null);

  /** Runs `perform`, resolving with its answer, or with undefined after keeping its error in `error`. */
  async run<T>(perform: () => Promise<T>): Promise<T | undefined> {
    this.busy = true;
    this.error = null;
    try {
      return await perform();
    } catch (raw) {
      this.error = raw as BackendError;
      return undefined;
    } finally {
      this.busy = false;
    }
  }
}
