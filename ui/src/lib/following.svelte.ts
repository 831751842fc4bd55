// The jobs waited for with "Download when finished": which ones, and how a wait that went wrong ended; one subscription for the app's life.
import { Action } from "./action.svelte";
import {
  downloadWhenFinished,
  followedJobs,
  onFollowUpdate,
  stopFollowing,
  whileMounted,
  type FollowUpdate,
  type JobRef,
} from "./backend";
import type { BatchId } from "./backend";

const keyOf = (job: JobRef) => `${job.account}\n${job.job}`;

export class Following {
  /** The jobs waited for now. */
  waiting = $state.raw<ReadonlySet<string>>(new Set());
  /** Why the last wait for a job went wrong (the job failed, or its download could not start). */
  failures = $state.raw<ReadonlyMap<string, string>>(new Map());
  readonly asking = new Action();
  /** Counts the waits that ended (the job finished, failed or was let go): the job list looks again then. */
  ended = $state(0);
  #started = false;

  /** `onDownloading` is told of the batch a finished job's download started. */
  constructor(private readonly onDownloading: (batch: BatchId) => void = () => {}) {}

  /** Subscribes to the backend's steps and learns which jobs it waits for already; resolves to the unsubscribe. */
  start(): () => void {
    if (this.#started) return () => {};
    this.#started = true;
    const stop = whileMounted(() => onFollowUpdate((update) => this.#apply(update)));
    void followedJobs().then(
      (jobs) => (this.waiting = new Set([...this.waiting, ...jobs.map(keyOf)])),
      () => {},
    );
    return () => {
      this.#started = false;
      stop();
    };
  }

  isWaiting(job: JobRef): boolean {
    return this.waiting.has(keyOf(job));
  }

  failureOf(job: JobRef): string | null {
    return this.failures.get(keyOf(job)) ?? null;
  }

  /** Waits for `job` to end, then downloads `paths` of it (null: all). */
  async follow(job: JobRef, paths: string[] | null): Promise<void> {
    this.#forgetFailure(keyOf(job));
    if ((await this.asking.run(() => downloadWhenFinished(job, paths))) !== undefined) this.#mark(keyOf(job), true);
  }

  async stop(job: JobRef): Promise<void> {
    if ((await this.asking.run(() => stopFollowing(job))) !== undefined) this.#mark(keyOf(job), false);
  }

  #apply(update: FollowUpdate) {
    const key = keyOf(update.kind === "waiting" ? { account: update.job.account, job: update.job.id } : update.job);
    if (update.kind === "waiting") {
      this.#mark(key, true);
      return;
    }
    this.#mark(key, false);
    this.ended += 1;
    if (update.kind === "failed") this.failures = new Map(this.failures).set(key, update.message);
    if (update.kind === "downloading") this.onDownloading(update.batch);
  }

  #mark(key: string, waiting: boolean) {
    const next = new Set(this.waiting);
    if (waiting) next.add(key);
    else next.delete(key);
    this.waiting = next;
  }

  #forgetFailure(key: string) {
    if (!this.failures.has(key)) return;
    const next = new Map(this.failures);
    next.delete(key);
    this.failures = next;
  }
}
