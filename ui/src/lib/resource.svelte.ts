// A value loaded from the backend: keeps the last value, the loading flag and the error, and ignores stale answers.
import type { BackendError } from "./backend";

export class Resource<T> {
  value = $state<T | null>(null);
  error = $state<BackendError | null>(null);
  loading = $state(false);
  #latest = 0;
  #onAuthExpired: (error: BackendError) => void;

  /** `onAuthExpired` is told when the archive no longer accepts the session, so the app can ask to sign in again. */
  constructor(onAuthExpired: (error: BackendError) => void) {
    this.#onAuthExpired = onAuthExpired;
  }

  /**
   * Runs `fetch`; only the newest call's answer is kept. The previous value stays visible meanwhile.
   * A `quiet` load (a refresh the user did not ask for) shows no loading state.
   */
  async load(fetch: () => Promise<T>, { quiet = false } = {}): Promise<void> {
    const request = ++this.#latest;
    this.loading = !quiet;
    this.error = null;
    try {
      const value = await fetch();
      if (request === this.#latest) this.value = value;
    } catch (raw) {
      if (request !== this.#latest) return;
      const error = raw as BackendError;
      this.error = error;
      if (error.code === "authExpired") this.#onAuthExpired(error);
    } finally {
      if (request === this.#latest) this.loading = false;
    }
  }
}
