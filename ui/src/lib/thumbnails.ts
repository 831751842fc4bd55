// Loads one job's previews a few at a time, the most urgent first, and keeps the recent ones as object URLs.
import { loadThumbnail, renderOptions, type BackendError, type JobRef, type ThumbOptions } from "./backend";

/** A loaded preview: the picture's object URL, or no picture because only the file's header was read. */
export type Thumb = { kind: "image"; url: string } | { kind: "headerOnly" };

interface Waiting {
  path: string;
  options: ThumbOptions;
  signal: AbortSignal;
  /** Lower is sooner; asked each time a slot frees, so it can follow the scrolling. */
  urgency: () => number;
  resolve: (thumb: Thumb) => void;
  reject: (error: BackendError) => void;
}

const CANCELLED: BackendError = { code: "cancelled", message: "The preview is no longer wanted.", retryable: true };

export class ThumbnailLoader {
  #job: JobRef;
  #limit: number;
  #cacheSize: number;
  #running = 0;
  #waiting: Waiting[] = [];
  /** Loaded previews by key, least recently used first. */
  #cache = new Map<string, Thumb>();

  /** At most `limit` requests at once; the last `cacheSize` previews are kept. */
  constructor(job: JobRef, limit = 12, cacheSize = 500) {
    this.#job = job;
    this.#limit = limit;
    this.#cacheSize = cacheSize;
  }

  #key(path: string, options: ThumbOptions): string {
    return `${path}\n${JSON.stringify(renderOptions(options))}`;
  }

  /** The preview if it is loaded already. */
  cached(path: string, options: ThumbOptions): Thumb | undefined {
    const key = this.#key(path, options);
    const thumb = this.#cache.get(key);
    if (thumb) {
      this.#cache.delete(key);
      this.#cache.set(key, thumb);
    }
    return thumb;
  }

  /** Loads a preview when its turn comes; aborting `signal` drops it from the queue or cancels its request. */
  load(path: string, options: ThumbOptions, signal: AbortSignal, urgency: () => number = () => 0): Promise<Thumb> {
    const cached = this.cached(path, options);
    if (cached) return Promise.resolve(cached);
    return new Promise((resolve, reject) => {
      const waiting: Waiting = { path, options, signal, urgency, resolve, reject };
      this.#waiting.push(waiting);
      signal.addEventListener(
        "abort",
        () => {
          const index = this.#waiting.indexOf(waiting);
          if (index < 0) return;
          this.#waiting.splice(index, 1);
          reject(CANCELLED);
        },
        { once: true },
      );
      this.#pump();
    });
  }

  #pump() {
    while (this.#running < this.#limit && this.#waiting.length > 0) {
      let next = 0;
      let best = Number.POSITIVE_INFINITY;
      this.#waiting.forEach((waiting, index) => {
        const urgency = waiting.urgency();
        if (urgency < best) [next, best] = [index, urgency];
      });
      const [waiting] = this.#waiting.splice(next, 1);
      void this.#run(waiting);
    }
  }

  async #run({ path, options, signal, resolve, reject }: Waiting) {
    this.#running += 1;
    try {
      const blob = await loadThumbnail(this.#job, path, options, signal);
      const thumb: Thumb = blob ? { kind: "image", url: URL.createObjectURL(blob) } : { kind: "headerOnly" };
      this.#remember(this.#key(path, options), thumb);
      resolve(thumb);
    } catch (error) {
      reject(error as BackendError);
    } finally {
      this.#running -= 1;
      this.#pump();
    }
  }

  #remember(key: string, thumb: Thumb) {
    this.#cache.set(key, thumb);
    for (const [oldKey, old] of this.#cache) {
      if (this.#cache.size <= this.#cacheSize) break;
      this.#cache.delete(oldKey);
      if (old.kind === "image") URL.revokeObjectURL(old.url);
    }
  }

  /** Frees every kept preview; for when the job's outputs are closed. */
  dispose() {
    for (const thumb of this.#cache.values()) if (thumb.kind === "image") URL.revokeObjectURL(thumb.url);
    this.#cache.clear();
  }
}
