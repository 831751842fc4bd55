// How long to wait before asking an archive again about jobs still running: soon at first, less often while nothing changes, soon again after a change.

export class Backoff {
  #delay: number;

  constructor(
    readonly first = 2_000,
    readonly factor = 1.5,
    readonly max = 60_000,
  ) {
    this.#delay = first;
  }

  /** The wait before the next look: back to the first after a change, else the last one grown (up to the cap). */
  next(changed: boolean): number {
    const delay = changed ? this.first : this.#delay;
    this.#delay = Math.min(delay * this.factor, this.max);
    return delay;
  }
}
