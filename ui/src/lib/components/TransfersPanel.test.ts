// Tests for the transfers panel: snapshots over the channel, progress, rate and time left, controls, files, disk full, errors, speed limit.
import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { BatchSnapshot } from "../bindings/BatchSnapshot";
import { Accounts } from "../accounts.svelte";
import { DEMO_ACCOUNT, DOWNLOAD_FOLDER, OTHER_ACCOUNT, TransferFeed, backendError, batch, item, mockBackend, signedInHandlers, startup, workspaceProps } from "../../test/fixtures";
import { DownloadPlace } from "../download-place.svelte";
import { Transfers } from "../transfers.svelte";
import TopBar from "./TopBar.svelte";
import TransfersPanel from "./TransfersPanel.svelte";

const OK = () => null;
const CONTROLS = {
  pause_batch: OK,
  resume_batch: OK,
  cancel_batch: OK,
  retry_failed: OK,
  open_folder: OK,
  pause_item: OK,
  resume_item: OK,
  cancel_item: OK,
};

/** The panel and the top bar's toggle on a Transfers that has subscribed to `feed`. */
function renderPanel(first: BatchSnapshot[], overrides = {}) {
  const feed = new TransferFeed(first);
  const calls = mockBackend(signedInHandlers({ watch_transfers: feed.subscribe, ...CONTROLS, ...overrides }));
  const transfers = new Transfers();
  transfers.start();
  const place = new DownloadPlace(DEMO_ACCOUNT.id);
  void place.load();
  render(TopBar, { ...workspaceProps(), transfers });
  render(TransfersPanel, { transfers, place });
  return { feed, calls, transfers, user: userEvent.setup() };
}

const card = (id = 1) => document.querySelector<HTMLElement>(`[data-testid=batch][data-batch-id="${id}"]`)!;
/** The card of batch `id`, once the panel shows it. */
async function waitForCard(id: number): Promise<HTMLElement> {
  await vi.waitFor(() => expect(card(id)).toBeTruthy());
  return card(id);
}
/** The calls whose command matches `pattern`, as [command, args]. */
const commands = (calls: { cmd: string; args: Record<string, unknown> }[], pattern: RegExp) =>
  calls.filter((call) => pattern.test(call.cmd)).map((call) => [call.cmd, call.args]);

describe("transfers panel", () => {
  it("shows the first snapshot at once, then each one that follows", async () => {
    const { feed } = renderPanel([batch()]);

    const running = await screen.findByTestId("batch");
    expect(running).toHaveAttribute("data-state", "running");
    expect(running).toHaveTextContent("bulkthumbs_test");
    expect(running).toHaveTextContent(`${DOWNLOAD_FOLDER}/c39008aa52f54b9e94335b566743af0c`);
    expect(within(running).getByTestId("transfer-badge")).toHaveTextContent("Downloading");
    const progress = within(running).getByTestId("batch-progress");
    expect(progress).toHaveAttribute("data-bytes-done", "2130573");
    expect(progress).toHaveAttribute("data-bytes-total", "4261147");
    expect(within(progress).getByRole("progressbar")).toHaveAttribute("aria-valuenow", "50");
    expect(within(running).getByTestId("batch-summary")).toHaveTextContent("2 of 6 files · 2.0 MiB of 4.1 MiB");
    expect(within(running).getByTestId("batch-speed")).toHaveTextContent("1.4 MiB/s · 3 min left · 4 connections");
    expect(await screen.findByText(DOWNLOAD_FOLDER)).toBeInTheDocument();

    feed.send([batch({ id: 2, name: "second" }), batch({ state: "done", filesDone: 6, bytesDone: 4_261_147, rate: 0, etaSeconds: null })]);
    await vi.waitFor(() => expect(screen.getAllByTestId("batch")).toHaveLength(2));
    const [newest, done] = screen.getAllByTestId("batch");
    expect(newest).toHaveAttribute("data-batch-id", "2");
    expect(done).toHaveAttribute("data-state", "done");
    expect(within(done).getByTestId("batch-summary")).toHaveTextContent("All 6 files downloaded · 4.1 MiB");
    expect(within(done).getByRole("progressbar")).toHaveAttribute("aria-valuenow", "100");
    expect(within(done).queryByTestId("batch-speed")).not.toBeInTheDocument();
    expect(within(done).queryByTestId("batch-pause")).not.toBeInTheDocument();
    expect(within(done).queryByTestId("batch-cancel")).not.toBeInTheDocument();
    expect(within(done).getByTestId("batch-open")).toBeInTheDocument();
  });

  it("counts running and paused batches on the Transfers toggle, which opens and closes the panel", async () => {
    const { feed, transfers, user } = renderPanel([batch({ id: 1 }), batch({ id: 2, state: "paused" }), batch({ id: 3, state: "done" })]);

    const toggle = screen.getByTestId("transfers-toggle");
    await vi.waitFor(() => expect(within(toggle).getByTestId("transfers-count")).toHaveTextContent("2"));
    expect(toggle).toHaveAttribute("aria-expanded", "false");
    await user.click(toggle);
    expect(transfers.open).toBe(true);
    expect(toggle).toHaveAttribute("aria-expanded", "true");
    await user.click(screen.getByRole("button", { name: "Close transfers" }));
    expect(transfers.open).toBe(false);

    feed.send([batch({ id: 3, state: "done" })]);
    await vi.waitFor(() => expect(within(toggle).queryByTestId("transfers-count")).not.toBeInTheDocument());
  });

  it("names each batch's archive and account when there is more than one account", async () => {
    const two = new Accounts({ ...startup(), accounts: [DEMO_ACCOUNT, OTHER_ACCOUNT] });
    const mine = batch({ id: 1, origin: { provider: "desaccess", account: OTHER_ACCOUNT.id, job: "j1", scope: "whole" } });
    const folder = batch({ id: 2, origin: null });
    const feed = new TransferFeed([mine, folder]);
    mockBackend(signedInHandlers({ watch_transfers: feed.subscribe, ...CONTROLS }));
    const transfers = new Transfers();
    transfers.start();
    render(TransfersPanel, { transfers, originOf: (b: BatchSnapshot) => two.originOf(b) });
    expect(await within(await waitForCard(1)).findByTestId("batch-origin")).toHaveTextContent(`DESaccess · ${OTHER_ACCOUNT.label}`);
    expect(within(card(2)).queryByTestId("batch-origin")).toBeNull();
    const one = new Accounts({ ...startup(), accounts: [OTHER_ACCOUNT] });
    expect(one.originOf(mine)).toBeNull();
  });

  it("says so when there are no downloads", async () => {
    renderPanel([]);
    expect(await screen.findByText("No downloads yet")).toBeInTheDocument();
  });

  it("pauses a running batch and resumes a paused one", async () => {
    const { feed, calls, user } = renderPanel([batch({ id: 7 })]);

    await user.click(await screen.findByTestId("batch-pause"));
    expect(screen.queryByTestId("batch-resume")).not.toBeInTheDocument();
    feed.send([batch({ id: 7, state: "paused", rate: 0, etaSeconds: null })]);
    const resume = await screen.findByTestId("batch-resume");
    expect(card(7)).toHaveAttribute("data-state", "paused");
    expect(within(card(7)).getByTestId("transfer-badge")).toHaveTextContent("Paused");
    expect(within(card(7)).queryByTestId("batch-speed")).not.toBeInTheDocument();
    expect(screen.queryByTestId("batch-pause")).not.toBeInTheDocument();

    await user.click(resume);
    expect(commands(calls, /_batch$/)).toEqual([
      ["pause_batch", { batchId: 7 }],
      ["resume_batch", { batchId: 7 }],
    ]);
  });

  it("cancels only once the user confirms", async () => {
    const { calls, user } = renderPanel([batch({ id: 7 })]);

    await user.click(await screen.findByTestId("batch-cancel"));
    expect(card(7)).toHaveTextContent("Cancel the rest of this download?");
    await user.click(screen.getByRole("button", { name: "Keep going" }));
    expect(commands(calls, /^cancel_/)).toEqual([]);

    await user.click(screen.getByTestId("batch-cancel"));
    await user.click(screen.getByTestId("batch-cancel-confirm"));
    expect(commands(calls, /^cancel_/)).toEqual([["cancel_batch", { batchId: 7 }]]);
  });

  it("retries failed files, opens the folder, and sums up a batch that finished with errors", async () => {
    const failed = item({ id: 11, state: "failed", bytesDone: 0, error: backendError("http", "The archive answered 404 Not Found.") });
    const { calls, user } = renderPanel([
      batch({ id: 7, state: "doneWithErrors", filesDone: 5, filesFailed: 1, bytesDone: 2_158_747, rate: 0, etaSeconds: null, items: [failed] }),
    ]);

    const finished = await screen.findByTestId("batch");
    expect(within(finished).getByTestId("transfer-badge")).toHaveTextContent("Done with errors");
    expect(within(finished).getByTestId("batch-summary")).toHaveTextContent("5 of 6 files downloaded · 2.1 MiB · 1 failed");
    expect(within(finished).queryByTestId("batch-resume")).not.toBeInTheDocument();
    await user.click(within(finished).getByTestId("batch-retry"));
    await user.click(within(finished).getByTestId("batch-open"));
    expect(commands(calls, /^(retry|open)_/)).toEqual([
      ["retry_failed", { batchId: 7 }],
      ["open_folder", { batchId: 7 }],
    ]);
  });

  it("lists a batch's files on request, each with its bar, error and own controls", async () => {
    const items = [
      item({ id: 10 }),
      item({ id: 11, path: "a/paused.fits", state: "paused", bytesDone: 100, size: 400 }),
      item({ id: 12, path: "a/broken.png", state: "failed", bytesDone: 0, size: null, error: backendError("integrity", "Size 10 B, expected 20 B.") }),
    ];
    const { calls, user } = renderPanel([batch({ id: 7, filesFailed: 1, items })]);

    const toggle = await screen.findByTestId("batch-items-toggle");
    expect(toggle).toHaveTextContent("Files: 1 under way · 1 paused · 1 failed");
    expect(screen.queryByTestId("batch-item")).not.toBeInTheDocument();
    await user.click(toggle);

    const [running, paused, failed] = screen.getAllByTestId("batch-item");
    expect(running).toHaveTextContent("DES0226-1541/a_r.fits");
    expect(within(running).getByRole("progressbar")).toHaveAttribute("aria-valuenow", "50");
    expect(running).toHaveTextContent("1.0 MiB of 2.0 MiB");
    expect(within(paused).getByRole("progressbar")).toHaveAttribute("aria-valuenow", "25");
    expect(failed).toHaveTextContent("Failed");
    expect(failed).toHaveTextContent("Size 10 B, expected 20 B.");
    expect(within(failed).queryByRole("progressbar")).not.toBeInTheDocument();

    await user.click(within(running).getByRole("button", { name: "Pause file" }));
    await user.click(within(paused).getByRole("button", { name: "Resume file" }));
    await user.click(within(failed).getByRole("button", { name: "Retry file" }));
    await user.click(within(failed).getByRole("button", { name: "Cancel file" }));
    expect(commands(calls, /_item$/)).toEqual([
      ["pause_item", { batchId: 7, itemId: 10 }],
      ["resume_item", { batchId: 7, itemId: 11 }],
      ["resume_item", { batchId: 7, itemId: 12 }],
      ["cancel_item", { batchId: 7, itemId: 12 }],
    ]);
  });

  it("says plainly that the disk is full, and offers Resume", async () => {
    const error = backendError("diskFull", "The disk is full: could not write /home/demo/Downloads/Jobfetch/x.fits.part. Free some space, then resume.");
    const { calls, user } = renderPanel([batch({ id: 7, state: "pausedDiskFull", rate: 0, etaSeconds: null, error })]);

    const alert = await screen.findByTestId("batch-disk-full");
    expect(alert).toHaveAttribute("role", "alert");
    expect(alert).toHaveTextContent("Disk full — free space, then Resume");
    expect(alert).toHaveTextContent("Free some space, then resume.");
    expect(within(card(7)).getByTestId("transfer-badge")).toHaveTextContent("Paused: disk full");
    expect(screen.getByTestId("transfers-toggle").querySelector(".problem")).not.toBeNull();

    await user.click(screen.getByTestId("batch-resume"));
    expect(commands(calls, /^resume_/)).toEqual([["resume_batch", { batchId: 7 }]]);
  });

  it("shows a sliding bar and 'Listing folders' before any size is known, stripes while totals grow", async () => {
    const { feed } = renderPanel([batch({ listingComplete: false, filesTotal: 0, filesDone: 0, bytesTotal: 0, bytesDone: 0, rate: 0, etaSeconds: null })]);

    const listing = await screen.findByTestId("batch");
    const bar = within(listing).getByRole("progressbar");
    expect(bar).not.toHaveAttribute("aria-valuenow");
    expect(bar.firstElementChild).toHaveClass("sliding");
    expect(within(listing).getByTestId("batch-summary")).toHaveTextContent("Listing folders…");
    expect(within(listing).queryByTestId("batch-speed")).not.toBeInTheDocument();

    feed.send([batch({ listingComplete: false, etaSeconds: null })]);
    await vi.waitFor(() => expect(bar).toHaveAttribute("aria-valuenow", "50"));
    expect(bar.firstElementChild).toHaveClass("striped");
    expect(within(listing).getByTestId("batch-summary")).toHaveTextContent("2 of 6 files so far");
    expect(within(listing).getByTestId("batch-speed")).toHaveTextContent("1.4 MiB/s · estimating time left…");
  });

  it("counts files alone for a batch whose archive does not tell its files' sizes", async () => {
    const unsized = { bytesTotal: 0, bytesDone: 0, rate: 0, etaSeconds: null };
    const { feed } = renderPanel([batch(unsized)]);

    const running = await screen.findByTestId("batch");
    expect(within(running).getByTestId("batch-summary")).toHaveTextContent(/^2 of 6 files$/);
    expect(within(running).getByRole("progressbar")).toHaveAttribute("aria-valuenow", "33.3");
    feed.send([batch({ ...unsized, state: "done", filesDone: 6 })]);
    await vi.waitFor(() => expect(within(running).getByTestId("batch-summary")).toHaveTextContent(/^All 6 files downloaded$/));
  });

  it("sums up a cancelled batch", async () => {
    renderPanel([batch({ state: "cancelled", rate: 0, etaSeconds: null })]);
    const cancelled = await screen.findByTestId("batch");
    expect(within(cancelled).getByTestId("batch-summary")).toHaveTextContent("Cancelled after 2 of 6 files · 2.0 MiB");
    expect(within(cancelled).queryByTestId("batch-resume")).not.toBeInTheDocument();
    expect(within(cancelled).queryByTestId("batch-cancel")).not.toBeInTheDocument();
  });

  it("shows a control's error in its batch", async () => {
    const { user } = renderPanel([batch()], {
      open_folder: () => {
        throw backendError("disk", "The folder was moved or deleted.");
      },
    });

    await user.click(await screen.findByTestId("batch-open"));
    expect(await within(card(1)).findByTestId("error-banner")).toHaveTextContent("The folder was moved or deleted.");
  });

  it("shows why it could not subscribe, and subscribes again on Retry", async () => {
    let failures = 1;
    const feed = new TransferFeed([batch()]);
    const { calls, user } = renderPanel([], {
      watch_transfers: (args: Record<string, unknown>) => {
        if (failures-- > 0) throw backendError("internal", "The transfer store could not be opened.", true);
        return feed.subscribe(args);
      },
    });

    const banner = await screen.findByTestId("error-banner");
    expect(banner).toHaveTextContent("The transfer store could not be opened.");
    expect(screen.getByTestId("transfers-toggle").querySelector(".problem")).not.toBeNull();
    await user.click(within(banner).getByRole("button", { name: "Retry" }));
    expect(await screen.findByTestId("batch")).toBeInTheDocument();
    expect(screen.queryByTestId("error-banner")).not.toBeInTheDocument();
    expect(calls.filter((call) => call.cmd === "watch_transfers")).toHaveLength(2);
  });
});

describe("speed limit", () => {
  const MIB = 1024 * 1024;
  const limitSelect = () => screen.getByTestId<HTMLSelectElement>("bandwidth-limit");
  const shown = () => limitSelect().selectedOptions[0]?.textContent;

  it("loads the limit in force with the transfers, among the ones on offer", async () => {
    const { calls } = renderPanel([], { bandwidth_limit: () => 5 * MIB });
    expect(screen.getByLabelText("Speed limit")).toBe(limitSelect());
    await vi.waitFor(() => expect(limitSelect()).toBeEnabled());
    expect(limitSelect()).toHaveValue(String(5 * MIB));
    expect(shown()).toBe("5 MiB/s");
    expect(Array.from(limitSelect().options, (option) => option.textContent)).toEqual([
      "No limit",
      "256 KiB/s",
      "1 MiB/s",
      "5 MiB/s",
      "10 MiB/s",
      "50 MiB/s",
      "100 MiB/s",
    ]);
    expect(calls.filter((call) => call.cmd === "bandwidth_limit")).toEqual([{ cmd: "bandwidth_limit", args: {} }]);
  });

  it("shows a limit that is not on offer as an extra option", async () => {
    renderPanel([], { bandwidth_limit: () => 3 * MIB });
    await vi.waitFor(() => expect(shown()).toBe("3.0 MiB/s"));
    expect(limitSelect().options).toHaveLength(8);
  });

  it("sends the chosen limit in bytes per second, disabled while it saves", async () => {
    let finish = () => {};
    const { calls, user } = renderPanel([], {
      set_bandwidth_limit: () => new Promise((resolve) => (finish = () => resolve(null))),
    });
    await vi.waitFor(() => expect(limitSelect()).toBeEnabled());
    expect(shown()).toBe("No limit");

    await user.selectOptions(limitSelect(), "1 MiB/s");
    expect(limitSelect()).toBeDisabled();
    finish();
    await vi.waitFor(() => expect(limitSelect()).toBeEnabled());
    expect(shown()).toBe("1 MiB/s");

    await user.selectOptions(limitSelect(), "No limit");
    finish();
    await vi.waitFor(() => expect(limitSelect()).toBeEnabled());
    expect(shown()).toBe("No limit");
    expect(commands(calls, /^set_bandwidth_limit$/)).toEqual([
      ["set_bandwidth_limit", { bytesPerSecond: MIB }],
      ["set_bandwidth_limit", { bytesPerSecond: null }],
    ]);
    expect(screen.queryByTestId("error-banner")).not.toBeInTheDocument();
  });

  it("shows why a limit was refused, keeps the old one, and sends it again on Retry", async () => {
    let failures = 1;
    const { calls, user } = renderPanel([], {
      bandwidth_limit: () => 10 * MIB,
      set_bandwidth_limit: () => {
        if (failures-- > 0) throw backendError("disk", "Could not save the settings file.", true);
        return null;
      },
    });
    await vi.waitFor(() => expect(limitSelect()).toBeEnabled());

    await user.selectOptions(limitSelect(), "256 KiB/s");
    const banner = await screen.findByTestId("error-banner");
    expect(banner).toHaveTextContent("Can't use the disk");
    expect(banner).toHaveTextContent("Could not save the settings file.");
    expect(shown()).toBe("10 MiB/s");
    expect(limitSelect()).toBeEnabled();

    await user.click(within(banner).getByRole("button", { name: "Retry" }));
    await vi.waitFor(() => expect(shown()).toBe("256 KiB/s"));
    expect(screen.queryByTestId("error-banner")).not.toBeInTheDocument();
    expect(commands(calls, /^set_bandwidth_limit$/)).toEqual([
      ["set_bandwidth_limit", { bytesPerSecond: 262_144 }],
      ["set_bandwidth_limit", { bytesPerSecond: 262_144 }],
    ]);
  });

  it("shows why the limit could not be read, and stays disabled", async () => {
    renderPanel([], {
      bandwidth_limit: () => {
        throw backendError("internal", "The settings store could not be opened.");
      },
    });
    expect(await screen.findByTestId("error-banner")).toHaveTextContent("The settings store could not be opened.");
    expect(limitSelect()).toBeDisabled();
  });
});
