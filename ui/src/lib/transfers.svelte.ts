// The downloads as the backend's transfers channel last described them, the download folder, and the panel's state.
import { Action } from "./action.svelte";
import { downloadFolder, watchTransfers, type BackendError, type BatchId } from "./backend";
import type { BatchSnapshot } from "./bindings/BatchSnapshot";
import type { BatchState } from "./bindings/BatchState";

const ACTIVE: readonly BatchState[] = ["running", "paused", "pausedDiskFull"];

/** True for batches that are not finished: running or paused. */
export const isActive = (batch: BatchSnapshot) => ACTIVE.includes(batch.state);

export class Transfers {
  /** Every batch, newest first; null until the backend's first snapshot. */
  batches = $state.raw<BatchSnapshot[] | null>(null);
  /** Why subscribing to the snapshots failed. */
  error = $state<BackendError | null>(null);
  subscribing = $state(false);
  /** The folder downloads go to, once known. */
  folder = $state<string | null>(null);
  readonly folderLoad = new Action();
  /** Whether the transfers panel is open. */
  open = $state(false);
  /** The batch to point the user at: the one they just started. */
  focusId = $state<BatchId | null>(null);

  /** How many batches are running or paused. */
  active = $derived(this.batches?.filter(isActive).length ?? 0);
  /** True when a batch stopped because the disk is full. */
  diskFull = $derived(this.batches?.some((batch) => batch.state === "pausedDiskFull") ?? false);

  #started = false;

  /** Subscribes to the snapshots and loads the download folder, the first time only (the app lives on across sign-ins). */
  start() {
    if (this.#started) return;
    this.#started = true;
    void this.watch();
    void this.loadFolder();
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

  async loadFolder(): Promise<void> {
    const folder = await this.folderLoad.run(downloadFolder);
    if (folder !== undefined) this.folder = folder;
  }

  /** Opens the panel on a batch. */
  show(batchId: BatchId) {
    this.open = true;
    this.focusId = batchId;
  }
}
