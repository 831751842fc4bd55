// The one door to the Rust side: a typed function per Tauri command, rejecting only with the backend's Error shape.
import { Channel, convertFileSrc, invoke, type InvokeArgs } from "@tauri-apps/api/core";
import { listen, TauriEvent, type UnlistenFn } from "@tauri-apps/api/event";
import type { Command } from "./bindings/Command";
import type { BatchSnapshot } from "./bindings/BatchSnapshot";
import type { Error as BackendError } from "./bindings/Error";
import type { FileOffer } from "./bindings/FileOffer";
import type { Footprint } from "./bindings/Footprint";
import type { FollowUpdate } from "./bindings/FollowUpdate";
import type { AccountId } from "./bindings/AccountId";
import type { Job } from "./bindings/Job";
import type { JobOffers } from "./bindings/JobOffers";
import type { JobRef } from "./bindings/JobRef";
import type { JobStages } from "./bindings/JobStages";
import type { Limits } from "./bindings/Limits";
import type { OpenRequest } from "./bindings/OpenRequest";
import type { OutputNode } from "./bindings/OutputNode";
import type { PreviewDetails } from "./bindings/PreviewDetails";
import type { RenderOptions } from "./bindings/RenderOptions";
import type { SignedIn } from "./bindings/SignedIn";
import type { SignInForm } from "./bindings/SignInForm";
import type { StartupState } from "./bindings/StartupState";
import type { Stretch } from "./bindings/Stretch";
import type { TransferEvent } from "./bindings/TransferEvent";
import type { Unpacked } from "./bindings/Unpacked";

export type { BackendError, FileOffer, FollowUpdate, JobRef, Limits, OpenRequest, Stretch, Unpacked };
export type BatchId = BatchSnapshot["id"];
export type ItemId = BatchSnapshot["items"][number]["id"];

/**
 * Turns whatever an invoke rejected with into the backend's `{code, message, retryable}`.
 * Jobfetch's commands reject with that shape already; Tauri itself may reject with a plain
 * string (unknown command, denied permission), which is a bug on our side: `internal`.
 */
export function toBackendError(raw: unknown): BackendError {
  if (typeof raw === "object" && raw !== null) {
    const { code, message, retryable } = raw as Partial<Record<keyof BackendError, unknown>>;
    if (typeof code === "string" && typeof message === "string") {
      return { code: code as BackendError["code"], message, retryable: retryable === true };
    }
  }
  const message = raw instanceof globalThis.Error ? raw.message : String(raw);
  return { code: "internal", message: `Something went wrong inside Jobfetch: ${message}`, retryable: false };
}

async function call<T>(command: Command, args?: InvokeArgs): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (raw) {
    throw toBackendError(raw);
  }
}

/** How the app was started: the archives, the accounts added so far, the active one, and the demo archive's sign-in. */
export const startupState = () => call<StartupState>("startup_state");

/** Adds an account from a filled sign-in form (or updates the one with the same id) and signs in to it. */
export const addAccount = (form: SignInForm) => call<SignedIn>("add_account", { provider: form.provider, values: form.values });

/** Signs an account in with the secrets the keyring keeps for it, and makes it the active one. */
export const signIn = (account: AccountId) => call<SignedIn>("sign_in", { account });

/** The active account signed in as it was last time, or null when the user has to sign in. */
export const resumeSession = () => call<SignedIn | null>("resume_session");

/** Signs an account out: its secrets are forgotten, the account itself is kept. */
export const signOut = (account: AccountId) => call<null>("sign_out", { account });

/** Removes an account: signs it out and forgets its settings. */
export const removeAccount = (account: AccountId) => call<null>("remove_account", { account });

/** An account's jobs, newest first; for an archive that searches, its last search's matches ([] before one). */
export const listJobs = (account: AccountId) => call<Job[]>("list_jobs", { account });

/**
 * Searches the account's archive with a filled search form (`ProviderInfo.search`: only the fields filled in);
 * the matches, as jobs, also become what `listJobs` gives for the account until the next search.
 */
export const searchJobs = (account: AccountId, values: Record<string, string>) => call<Job[]>("search_jobs", { account, values });

/** Where a job's scenes lie on Earth, for the map (none for archives without footprints). */
export const jobFootprints = (job: JobRef) => call<Footprint[]>("job_footprints", { account: job.account, jobId: job.job });

/** The id of the job the account's window showed last, or null. */
export const lastJob = (account: AccountId) => call<string | null>("last_job", { account });

/** Remembers the job the account's window shows, to open it again next time (null: none). */
export const rememberJob = (account: AccountId, jobId: string | null) => call<null>("remember_job", { account, jobId });

/** Which job of which account a Job is. */
export const jobRef = (job: Pick<Job, "account" | "id">): JobRef => ({ account: job.account, job: job.id });

/** A job's output tree; its root is the job folder (path ""). */
export const jobOutputs = (job: JobRef) => call<OutputNode>("job_outputs", { account: job.account, jobId: job.job });

/** What can be done with a job now: download it, bring it back from storage, delete it. */
export const jobOffers = (job: JobRef) => call<JobOffers>("job_offers", { account: job.account, jobId: job.job });

/** What most archives' jobs offer, without asking: their files download. */
export const DOWNLOAD_ONLY: JobOffers = { download: true, downloadWhenFinished: true, retrieve: false, delete: false, outputsFinal: false };

/** A job's stages in the order they happen, for its timeline; null for a job without stages. */
export const jobStages = (job: JobRef) => call<JobStages | null>("job_stages", { account: job.account, jobId: job.job });

/** Where bringing a job's files back from storage goes unless the user says otherwise (a folder where the archive writes). */
export const retrievalTarget = (job: JobRef) => call<string>("retrieval_target", { account: job.account, jobId: job.job });

/**
 * Asks the archive to bring `paths` of a job's tree (all of it when empty) back from storage into `target`;
 * resolves with the request it made, as a job of the same account.
 */
export const retrieveFromStorage = (job: JobRef, paths: string[], target: string) =>
  call<Job>("retrieve_from_storage", { account: job.account, jobId: job.job, paths, target });

/** Deletes a job at its archive (ask first: `ProviderInfo.deletion` says what it does); resolves with the request doing it. */
export const deleteJob = (job: JobRef) => call<Job>("delete_job", { account: job.account, jobId: job.job });

/**
 * Starts downloading a job into the download folder: `paths` are output paths (files or folders) relative to
 * the job folder, or null for the whole job; with `unpack`, its result archives are unpacked in place once every
 * file has arrived (see onBatchUnpacked). Resolves with the new batch's id once it is queued.
 */
export const startDownload = (job: JobRef, paths: string[] | null, unpack = false) =>
  call<BatchId>("start_download", { account: job.account, jobId: job.job, paths, unpack });

/**
 * Waits for a running job to end, then downloads it (`paths`: the outputs to download, or null for all of it)
 * into the account's download folder; what happens comes as `followed-job` events (onFollowUpdate).
 */
export const downloadWhenFinished = (job: JobRef, paths: string[] | null) =>
  call<null>("download_when_finished", { account: job.account, jobId: job.job, paths });

/** The jobs waited for with downloadWhenFinished now. */
export const followedJobs = () => call<JobRef[]>("followed_jobs");

/** Stops waiting for a job; nothing is downloaded. */
export const stopFollowing = (job: JobRef) => call<null>("stop_following", { account: job.account, jobId: job.job });

/**
 * Subscribes to the transfers' progress: `onEvent` gets every batch (newest first) at once, then on changes,
 * at most ~10 times a second. Resolves once subscribed.
 */
export const watchTransfers = (onEvent: (event: TransferEvent) => void) =>
  call<null>("watch_transfers", { onEvent: new Channel<TransferEvent>(onEvent) });

/** The folder the account's downloads go to. */
export const downloadFolder = (account: AccountId) => call<string>("download_folder", { account });

/** Asks for the account's download folder with the system's folder dialog; the new folder, or null when cancelled. */
export const chooseDownloadFolder = (account: AccountId) => call<string | null>("choose_download_folder", { account });

/** The bytes the account's download folder's disk can still take. */
export const freeSpace = (account: AccountId) => call<number>("free_space", { account });

/** The download speed cap in bytes per second, or null when there is none. */
export const bandwidthLimit = () => call<number | null>("bandwidth_limit");

/** Caps the download speed (null: no cap); applies to running downloads at once and is kept for next time. */
export const setBandwidthLimit = (bytesPerSecond: number | null) => call<null>("set_bandwidth_limit", { bytesPerSecond });

export const pauseBatch = (batchId: BatchId) => call<null>("pause_batch", { batchId });
export const resumeBatch = (batchId: BatchId) => call<null>("resume_batch", { batchId });
export const cancelBatch = (batchId: BatchId) => call<null>("cancel_batch", { batchId });
/** Queues a batch's failed items again. */
export const retryFailed = (batchId: BatchId) => call<null>("retry_failed", { batchId });
/** Opens the batch's folder in the system file manager. */
export const openFolder = (batchId: BatchId) => call<null>("open_folder", { batchId });

/** Shows a downloaded output (a path in the job's output tree) selected in its folder, in the system file manager. */
export const showInFolder = (job: JobRef, path: string) => call<null>("show_in_folder", { account: job.account, jobId: job.job, path });

/** Hides the window while downloads go on; a new launch or the tray brings it back. */
export const keepDownloading = () => call<null>("keep_downloading");

/** Quits although downloads run: they continue the next time Jobfetch starts. */
export const quitApp = () => call<null>("quit");

/** Opens the demo archive in a separate window whose accounts and downloads vanish when it closes. */
export const openDemo = () => call<null>("open_demo");

export const pauseItem = (batchId: BatchId, itemId: ItemId) => call<null>("pause_item", { batchId, itemId });
/** Resumes a paused item, or tries a failed one again. */
export const resumeItem = (batchId: BatchId, itemId: ItemId) => call<null>("resume_item", { batchId, itemId });
export const cancelItem = (batchId: BatchId, itemId: ItemId) => call<null>("cancel_item", { batchId, itemId });

/** How to render a preview; what is left out takes the backend's defaults (256 px, linear, ZScale). */
export interface ThumbOptions {
  size?: number;
  stretch?: Stretch;
  limits?: Limits;
}

/** `options` with every default filled in, as the backend receives them. */
export function renderOptions(options: ThumbOptions): RenderOptions {
  return { size: options.size ?? 256, stretch: options.stretch ?? "linear", limits: options.limits ?? { kind: "zscale" } };
}

function limitsParam(limits: Limits): string {
  if (limits.kind === "zscale") return "zscale";
  return limits.kind === "minMax" ? "minmax" : String(limits.percent);
}

/**
 * The thumbnail URL for an output: served by the app's `thumb` URI scheme as `<account>/<job>/<path>`, each part
 * percent-encoded (an account id holds `:`, `@` and `/`); `ticket` names the request for cancelling.
 */
export function thumbUrl(job: JobRef, path: string, options: ThumbOptions = {}, ticket?: string): string {
  const { size, stretch, limits } = renderOptions(options);
  const file = path.split("/").map(encodeURIComponent).join("/");
  const query = `?size=${size}&stretch=${stretch}&limits=${limitsParam(limits)}${ticket ? `&ticket=${ticket}` : ""}`;
  // convertFileSrc("", scheme) is the scheme's root with its trailing slash: thumb://localhost/ or http://thumb.localhost/.
  return `${convertFileSrc("", "thumb")}${encodeURIComponent(job.account)}/${encodeURIComponent(job.job)}/${file}${query}`;
}

/** Stops the backend's work on previews whose requests were abandoned. */
export const cancelPreviews = (tickets: string[]) => call<null>("cancel_previews", { tickets });

const TICKET_PREFIX = Math.random().toString(36).slice(2, 10);
let ticketCount = 0;
let abandoned: string[] = [];

/** Cancels `ticket` together with every other ticket abandoned in the same tick: one IPC call per scroll step. */
function abandon(ticket: string) {
  abandoned.push(ticket);
  if (abandoned.length > 1) return;
  queueMicrotask(() => {
    const tickets = abandoned;
    abandoned = [];
    // The preview is no longer wanted: if the backend can't be told, it merely finishes work nobody waits for.
    cancelPreviews(tickets).catch(() => undefined);
  });
}

async function errorFrom(response: Response): Promise<BackendError> {
  try {
    return toBackendError(await response.json());
  } catch {
    return { code: "http", message: `The preview failed (HTTP ${response.status}).`, retryable: response.status >= 500 };
  }
}

/**
 * Fetches a thumbnail: the PNG, or null for a file too large to preview whose header alone was read (HTTP 204).
 * Rejects with a BackendError (`noPreview` with the reason when the file has no picture); aborting `signal`
 * rejects with `cancelled` and tells the backend to stop.
 */
export async function loadThumbnail(job: JobRef, path: string, options: ThumbOptions, signal: AbortSignal): Promise<Blob | null> {
  const ticket = `${TICKET_PREFIX}-${++ticketCount}`;
  const onAbort = () => abandon(ticket);
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    signal.throwIfAborted();
    const response = await fetch(thumbUrl(job, path, options, ticket), { signal });
    if (response.status === 204) return null;
    if (!response.ok) throw await errorFrom(response);
    return await response.blob();
  } catch (raw) {
    if (signal.aborted) throw { code: "cancelled", message: "The preview is no longer wanted.", retryable: true } satisfies BackendError;
    throw toBackendError(raw);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/** What a preview shows: image size, and for FITS the HDU, BITPIX, compression and header cards; where the file is on disk. */
export const previewDetails = (job: JobRef, path: string, options: ThumbOptions) =>
  call<PreviewDetails>("preview_details", { account: job.account, jobId: job.job, path, options: renderOptions(options) });

/** The output paths of a job that are already whole on disk. */
export const downloadedOutputs = (job: JobRef) => call<string[]>("downloaded_outputs", { account: job.account, jobId: job.job });

/** What a bug report needs, as text to paste: versions, system, account kinds and the last errors; never a secret. */
export const diagnosticsReport = () => call<string>("diagnostics_report");

/**
 * Subscribes with `subscribe` for as long as a component is mounted: call it from `onMount` and return its
 * answer, which unsubscribes (at once if the subscription comes through after the component is gone).
 */
export function whileMounted(subscribe: () => Promise<UnlistenFn>): () => void {
  let stop: UnlistenFn | null = null;
  let unmounted = false;
  void subscribe().then((unlisten) => {
    if (unmounted) unlisten();
    else stop = unlisten;
  });
  return () => {
    unmounted = true;
    stop?.();
  };
}

/** Calls `handler` with a sentence each time a part of the backend stops unexpectedly (a panic); resolves to the unsubscribe. */
export const onBackgroundFailure = (handler: (sentence: string) => void): Promise<UnlistenFn> =>
  listen<string>("background-failure", (event) => handler(event.payload));

/** What a file handed to the window holds (an archive's download script), and where its files would go; downloads nothing. */
export const openFile = (path: string) => call<FileOffer>("open_file", { path });

/** Starts (or continues) downloading the files a handed file lists, into the download folder of the account that signs them. */
export const downloadFile = (path: string) => call<BatchId>("download_file", { path });

/** Calls `handler` with the paths of files dropped on the window. */
export const onFilesDropped = (handler: (paths: string[]) => void): Promise<UnlistenFn> =>
  listen<{ paths: string[] }>(TauriEvent.DRAG_DROP, (event) => handler(event.payload.paths));

/** Calls `handler` with what a later launch of Jobfetch asked this window to open (a `jobfetch://` link, a file). */
export const onOpenRequest = (handler: (request: OpenRequest) => void): Promise<UnlistenFn> =>
  listen<OpenRequest>("open-request", (event) => handler(event.payload));

/** Calls `handler` with what unpacking a finished batch's result archives did. */
export const onBatchUnpacked = (handler: (unpacked: Unpacked) => void): Promise<UnlistenFn> =>
  listen<Unpacked>("batch-unpacked", (event) => handler(event.payload));

/** Calls `handler` with each step of a job waited for with downloadWhenFinished. */
export const onFollowUpdate = (handler: (update: FollowUpdate) => void): Promise<UnlistenFn> =>
  listen<FollowUpdate>("followed-job", (event) => handler(event.payload));

/** Calls `handler` with the number of downloads running when the window is closed while they run. */
export const onCloseRequested = (handler: (running: number) => void): Promise<UnlistenFn> =>
  listen<number>("close-requested", (event) => handler(event.payload));
