// Tests for the IPC wrapper: command names and camelCase arguments, the transfers channel, and errors in the backend's shape.
import { Channel } from "@tauri-apps/api/core";
import { mockIPC } from "@tauri-apps/api/mocks";
import { describe, expect, it, vi } from "vitest";
import {
  addAccount,
  bandwidthLimit,
  downloadedOutputs,
  loadThumbnail,
  previewDetails,
  thumbUrl,
  cancelBatch,
  cancelItem,
  downloadFolder,
  jobOutputs,
  listJobs,
  searchJobs,
  openFolder,
  pauseBatch,
  pauseItem,
  resumeBatch,
  resumeItem,
  retryFailed,
  removeAccount,
  resumeSession,
  setBandwidthLimit,
  signIn,
  signOut,
  startDownload,
  toBackendError,
  watchTransfers,
} from "./backend";
import {
  DEMO_ACCOUNT,
  DEMO_FORM,
  DOWNLOAD_FOLDER,
  FITS_DETAILS,
  JOBS,
  SESSION,
  TREE,
  TransferFeed,
  backendError,
  batch,
  mockBackend,
} from "../test/fixtures";

const ACCOUNT = DEMO_ACCOUNT.id;
const JOB = { account: ACCOUNT, job: "c39008aa52f54b9e94335b566743af0c" };
/** A short job reference for the thumbnail tests. */
const J = { account: "desaccess:demo@h", job: "j" };

describe("backend", () => {
  it("calls each command by its Rust name with camelCase arguments", async () => {
    const calls = mockBackend({
      job_outputs: () => TREE,
      add_account: () => SESSION,
      sign_in: () => SESSION,
      resume_session: () => null,
      sign_out: () => null,
      remove_account: () => null,
      list_jobs: () => JOBS,
      search_jobs: () => JOBS,
    });
    await jobOutputs(JOB);
    expect(await addAccount(DEMO_FORM)).toEqual(SESSION);
    expect(await signIn(ACCOUNT)).toEqual(SESSION);
    expect(await resumeSession()).toBeNull();
    await signOut(ACCOUNT);
    await removeAccount(ACCOUNT);
    expect(await listJobs(ACCOUNT)).toEqual(JOBS);
    expect(await searchJobs(ACCOUNT, { proposal: "16123" })).toEqual(JOBS);
    expect(calls).toEqual([
      { cmd: "job_outputs", args: { account: ACCOUNT, jobId: JOB.job } },
      { cmd: "add_account", args: { provider: "desaccess", values: DEMO_FORM.values } },
      { cmd: "sign_in", args: { account: ACCOUNT } },
      { cmd: "resume_session", args: {} },
      { cmd: "sign_out", args: { account: ACCOUNT } },
      { cmd: "remove_account", args: { account: ACCOUNT } },
      { cmd: "list_jobs", args: { account: ACCOUNT } },
      { cmd: "search_jobs", args: { account: ACCOUNT, values: { proposal: "16123" } } },
    ]);
  });

  it("calls the transfer commands with camelCase ids", async () => {
    const job = JOB;
    const calls = mockBackend({
      start_download: () => 7,
      download_folder: () => DOWNLOAD_FOLDER,
      pause_batch: () => null,
      resume_batch: () => null,
      cancel_batch: () => null,
      retry_failed: () => null,
      open_folder: () => null,
      pause_item: () => null,
      resume_item: () => null,
      cancel_item: () => null,
    });
    expect(await startDownload(job, null)).toBe(7);
    await startDownload(job, ["DES0226-1541", "BulkThumbs_20200706-152133.log"], true);
    expect(await downloadFolder(ACCOUNT)).toBe(DOWNLOAD_FOLDER);
    await pauseBatch(7);
    await resumeBatch(7);
    await cancelBatch(7);
    await retryFailed(7);
    await openFolder(7);
    await pauseItem(7, 12);
    await resumeItem(7, 12);
    await cancelItem(7, 12);
    expect(calls).toEqual([
      { cmd: "start_download", args: { account: ACCOUNT, jobId: job.job, paths: null, unpack: false } },
      { cmd: "start_download", args: { account: ACCOUNT, jobId: job.job, paths: ["DES0226-1541", "BulkThumbs_20200706-152133.log"], unpack: true } },
      { cmd: "download_folder", args: { account: ACCOUNT } },
      { cmd: "pause_batch", args: { batchId: 7 } },
      { cmd: "resume_batch", args: { batchId: 7 } },
      { cmd: "cancel_batch", args: { batchId: 7 } },
      { cmd: "retry_failed", args: { batchId: 7 } },
      { cmd: "open_folder", args: { batchId: 7 } },
      { cmd: "pause_item", args: { batchId: 7, itemId: 12 } },
      { cmd: "resume_item", args: { batchId: 7, itemId: 12 } },
      { cmd: "cancel_item", args: { batchId: 7, itemId: 12 } },
    ]);
  });

  it("reads and sets the speed limit in bytes per second, null for none", async () => {
    let limit: unknown = 1_048_576;
    const calls = mockBackend({
      bandwidth_limit: () => limit,
      set_bandwidth_limit: (args) => {
        limit = args.bytesPerSecond;
        return null;
      },
    });
    expect(await bandwidthLimit()).toBe(1_048_576);
    expect(await setBandwidthLimit(262_144)).toBeNull();
    await setBandwidthLimit(null);
    expect(await bandwidthLimit()).toBeNull();
    expect(calls).toEqual([
      { cmd: "bandwidth_limit", args: {} },
      { cmd: "set_bandwidth_limit", args: { bytesPerSecond: 262_144 } },
      { cmd: "set_bandwidth_limit", args: { bytesPerSecond: null } },
      { cmd: "bandwidth_limit", args: {} },
    ]);
  });

  it("subscribes to transfers with a channel that delivers every snapshot", async () => {
    const feed = new TransferFeed([batch()]);
    const calls = mockBackend({ watch_transfers: feed.subscribe });
    const onEvent = vi.fn();

    expect(await watchTransfers(onEvent)).toBeNull();
    expect(calls).toEqual([{ cmd: "watch_transfers", args: { onEvent: expect.any(Channel) } }]);
    expect(JSON.stringify(calls[0].args)).toMatch(/^\{"onEvent":"__CHANNEL__:\d+"\}$/);
    feed.send([batch({ bytesDone: 4_261_147, state: "done" })]);
    expect(onEvent.mock.calls).toEqual([
      [{ event: "snapshot", data: [batch()] }],
      [{ event: "snapshot", data: [batch({ bytesDone: 4_261_147, state: "done" })] }],
    ]);
  });

  it("passes the backend's errors through unchanged", async () => {
    const error = backendError("network", "The archive did not answer.", true);
    mockIPC(() => {
      throw error;
    });
    await expect(listJobs(ACCOUNT)).rejects.toEqual(error);
  });

  it("turns anything else Tauri rejects with into an internal error", async () => {
    mockIPC(() => Promise.reject("command list_jobs not found"));
    await expect(listJobs(ACCOUNT)).rejects.toEqual({
      code: "internal",
      message: "Something went wrong inside Jobfetch: command list_jobs not found",
      retryable: false,
    });
    expect(toBackendError(new TypeError("boom")).message).toContain("boom");
    expect(toBackendError({ code: "authFailed", message: "Wrong password." })).toEqual(
      backendError("authFailed", "Wrong password.", false),
    );
  });

  it("builds thumbnail URLs on the thumb scheme: account, job and path each encoded, every option spelled out", () => {
    mockBackend({});
    const account = "desaccess:ana b@127.0.0.1:40123/desaccess/api";
    expect(thumbUrl({ account, job: "job 1" }, "DES0226-1541/a b#1.fits")).toBe(
      "thumb://localhost/desaccess%3Aana%20b%40127.0.0.1%3A40123%2Fdesaccess%2Fapi/job%201/DES0226-1541/a%20b%231.fits?size=256&stretch=linear&limits=zscale",
    );
    const url = new URL(thumbUrl({ account, job: "job 1" }, "DES0226-1541/a b#1.fits"));
    expect(url.pathname.split("/").slice(1).map(decodeURIComponent)).toEqual([account, "job 1", "DES0226-1541", "a b#1.fits"]);
    expect(thumbUrl(J, "a.fits", { size: 1024, stretch: "asinh", limits: { kind: "minMax" } }, "t1")).toBe(
      "thumb://localhost/desaccess%3Ademo%40h/j/a.fits?size=1024&stretch=asinh&limits=minmax&ticket=t1",
    );
    expect(thumbUrl(J, "a.fits", { limits: { kind: "percentile", percent: 99.5 } })).toMatch(/&limits=99\.5$/);
  });

  it("loads a thumbnail, null for a header-only file, and rejects with the backend's error", async () => {
    mockBackend({});
    const answers = [
      new Response("png", { status: 200 }),
      new Response(null, { status: 204 }),
      new Response(JSON.stringify(backendError("noPreview", "A table, not an image.")), { status: 422 }),
      new Response("gateway down", { status: 502 }),
    ];
    vi.stubGlobal("fetch", vi.fn(async () => answers.shift()));
    const signal = new AbortController().signal;
    expect(await (await loadThumbnail(J, "a.fits", {}, signal))?.text()).toBe("png");
    expect(await loadThumbnail(J, "a.fits", {}, signal)).toBeNull();
    await expect(loadThumbnail(J, "a.fits", {}, signal)).rejects.toEqual(backendError("noPreview", "A table, not an image."));
    await expect(loadThumbnail(J, "a.fits", {}, signal)).rejects.toEqual(backendError("http", "The preview failed (HTTP 502).", true));
    vi.unstubAllGlobals();
  });

  it("cancels the tickets of the thumbnails aborted in one tick with one call", async () => {
    const calls = mockBackend({ cancel_previews: () => null });
    const urls: string[] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(
        (url: string, init: RequestInit) =>
          new Promise((_, reject) => {
            urls.push(url);
            init.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
          }),
      ),
    );
    const controllers = [new AbortController(), new AbortController()];
    const loads = controllers.map((controller, i) => loadThumbnail(J, `${i}.fits`, {}, controller.signal));
    controllers.forEach((controller) => controller.abort());
    for (const load of loads) await expect(load).rejects.toMatchObject({ code: "cancelled" });
    await vi.waitFor(() => expect(calls).toHaveLength(1));
    const tickets = urls.map((url) => new URL(url).searchParams.get("ticket"));
    expect(new Set(tickets).size).toBe(2);
    expect(calls[0]).toEqual({ cmd: "cancel_previews", args: { tickets } });
    vi.unstubAllGlobals();
  });

  it("asks for preview details with the defaults filled in, and for the files on disk", async () => {
    const calls = mockBackend({ preview_details: () => FITS_DETAILS, downloaded_outputs: () => ["a.fits"] });
    expect(await previewDetails(J, "a.fits", { stretch: "asinh" })).toEqual(FITS_DETAILS);
    expect(await downloadedOutputs(J)).toEqual(["a.fits"]);
    expect(calls).toEqual([
      {
        cmd: "preview_details",
        args: { account: J.account, jobId: "j", path: "a.fits", options: { size: 256, stretch: "asinh", limits: { kind: "zscale" } } },
      },
      { cmd: "downloaded_outputs", args: { account: J.account, jobId: "j" } },
    ]);
  });
});
