// The downloads as the backend's transfers channel last described them, the speed limit, and the panel's state.
import { Action } from "./action.svelte";
import { bandwidthLimit, onBatchUnpacked, setBandwidthLimit, watchTransfers, type BackendError, type BatchId, type Unpacked } from "./backend";
import type { BatchSnapshot } from "./bindings/BatchSnapshot";
import type { BatchState } from "./bindings/BatchState";
import type { Job } from "./bindings/Job";

const ACTIVE: readonly BatchState[] = ["running", "paused", "pausedDiskFull"];

/** True for batches that are not finished: running or paused. */
export const isActive = (batch: BatchSnapshot) => ACTIVE.includes(batch.state);

/**
 * True when `batch` downloads (some of) `job`: by the origin the batch records, or, for a batch from
 * before origins were kept, by its folder, whose name ends with the job's id.
 */
export const isBatchOf = (batch: BatchSnapshot, job: Pick<Job, "id" | "account">) =>
  batch.origin
    ? batch.origin.job === job.id && batch.origin.account === job.account
    : (batch.root.split(/[\\/]/).pop() ?? "").endsWith(job.id);

export class Transfers {
  /** Every batch, newest first; null until the backend's first snapshot. */
  batches = $state.raw<BatchSnapshot[] | null>(null);
  /** Why subscribing to the snapshots failed. */
  error = $state<BackendError | null>(null);
  subscribing = $state(false);
  /** The download speed cap in bytes per second, null for none; undefined until known. */
  limit = $state<number | null | undefined>(undefined);
  readonly limitLoad = new Action();
  readonly limitSave = new Action();
  /** The cap last asked for, to send again on Retry. */
  limitWanted = $state<number | null>(null);
  /** Whether the transfers panel is open. */
  open = $state(false);
  /** The batch to point the user at: the one they just started. */
  focusId = $state<BatchId | null>(null);

  /** How many batches are running or paused. */
  active = $derived(this.batches?.filter(isActive).length ?? 0);
  /** True when a batch stopped because the disk is full. */
  diskFull = $derived(this.batches?.some((batch) => batch.state === "pausedDiskFull") ?? false);

  /** Batches whose result archives are unpacked once every file has arrived: "waiting" until it is done. */
  unpacking = $state.raw<ReadonlyMap<BatchId, Unpacked | "waiting">>(new Map());

  #started = false;

  /** Subscribes to the snapshots and loads the speed limit, the first time only (the app lives on across sign-ins). */
  start() {
    if (this.#started) return;
    this.#started = true;
    void this.watch();
    void this.loadLimit();
    void onBatchUnpacked((unpacked) => this.#setUnpacking(unpacked.batchId, unpacked));
  }

  /** Notes that a batch's result archives will be unpacked when it is done. */
  willUnpack(batchId: BatchId) {
    if (!this.unpacking.has(batchId)) this.#setUnpacking(batchId, "waiting");
  }

  #setUnpacking(batchId: BatchId, state: Unpacked | "waiting") {
    this.unpacking = new Map([...this.unpacking, [batchId, state]]);
  }

  /** Subscribes to the backend's snapshots; resolves once subscribed, or with the reason in `error`. */
  async watch(): Promise<void> {
    this.subscribing = true;
    this.error = null;
    try {
      await watchTransfers((event) => {
        if (event.event === "snapshot") this.batches = event.data;
      });
    } catch (raw) {
      this.error = raw as BackendError;
    } finally {
      this.subscribing = false;
    }
  }

  async loadLimit(): Promise<void> {
    const limit = await this.limitLoad.run(bandwidthLimit);
    if (limit !== undefined) this.limit = limit;
  }

  /** Sets the speed limit (null: none); `limit` changes only once the backend has taken it. */
  async setLimit(bytesPerSecond: number | null): Promise<void> {
    this.limitWanted = bytesPerSecond;
    const done = await this.limitSave.run(() => setBandwidthLimit(bytesPerSecond));
    if (done !== undefined) {
      this.limit = bytesPerSecond;
      this.limitLoad.error = null;
    }
  }

  /** Opens the panel on a batch. */
  show(batchId: BatchId) {
    this.open = true;
    this.focusId = batchId;
  }
}
