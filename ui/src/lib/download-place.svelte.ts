// Where one account's downloads go: its folder (chosen with the system's folder dialog, remembered per account) and the room left there.
import { Action } from "./action.svelte";
import { chooseDownloadFolder, downloadFolder, freeSpace } from "./backend";
import type { AccountId } from "./bindings/AccountId";

export class DownloadPlace {
  /** The folder, once known. */
  folder = $state<string | null>(null);
  /** The bytes its disk can still take, when known. */
  free = $state<number | null>(null);
  readonly loading = new Action();
  readonly choosing = new Action();

  constructor(readonly account: AccountId) {}

  /** Asks the backend for the folder and its free space. */
  async load(): Promise<void> {
    const folder = await this.loading.run(() => downloadFolder(this.account));
    if (folder !== undefined) this.folder = folder;
    await this.measure();
  }

  /** Measures the free space again (after a batch starts, or the folder changed). */
  async measure(): Promise<void> {
    this.free = await freeSpace(this.account).catch(() => null);
  }

  /** Opens the folder dialog; a folder chosen becomes the account's from now on. */
  async choose(): Promise<void> {
    const chosen = await this.choosing.run(() => chooseDownloadFolder(this.account));
    if (!chosen) return;
    this.folder = chosen;
    await this.measure();
  }
}
