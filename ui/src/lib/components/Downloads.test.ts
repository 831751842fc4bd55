// Tests for starting downloads from a job: Download all, ticking tree rows and Download selected, errors, and the panel opening.
import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { DEMO_ACCOUNT, TransferFeed, backendError, batch, folder, mockBackend, signedInHandlers, workspaceProps } from "../../test/fixtures";
import { Transfers } from "../transfers.svelte";
import Workspace from "./Workspace.svelte";

const JOB_ID = "c39008aa52f54b9e94335b566743af0c";
const TILE = "DES0226-1541";
const R_FITS = `${TILE}/DESJ022640.4160-154120.0040_r.fits`;

async function openJob(id = JOB_ID) {
  const user = userEvent.setup();
  const onAuthExpired = vi.fn();
  render(Workspace, { ...workspaceProps(), transfers: new Transfers(), onAuthExpired });
  const rows = await screen.findAllByTestId("job-row");
  await user.click(rows.find((row) => row.dataset.jobId === id)!);
  const detail = screen.getByTestId("job-detail");
  return { user, detail, onAuthExpired };
}

function checkbox(path: string) {
  return document.querySelector<HTMLInputElement>(`[data-testid=tree-checkbox][data-path="${path}"]`)!;
}

describe("downloading a job's outputs", () => {
  it("downloads the whole job, then opens the transfers panel on the new batch", async () => {
    const feed = new TransferFeed();
    const calls = mockBackend(signedInHandlers({ watch_transfers: feed.subscribe, start_download: () => 4 }));
    const { user, detail } = await openJob();

    const all = await within(detail).findByRole("button", { name: /Download all/ });
    await vi.waitFor(() => expect(all).toBeEnabled());
    expect(all).toHaveAttribute("data-testid", "download-all");
    expect(all).toHaveTextContent("Download all · 6 files · 4.1 MiB");
    expect(within(detail).getByTestId("download-selected")).toBeDisabled();
    expect(within(detail).getByTestId("download-selected")).toHaveTextContent("Download selected (0)");
    expect(detail).toHaveTextContent("Into /home/demo/Downloads/Jobfetch");
    expect(screen.queryByTestId("transfers-panel")).not.toBeInTheDocument();

    await user.click(all);
    expect(calls.find((call) => call.cmd === "start_download")?.args).toEqual({ account: DEMO_ACCOUNT.id, jobId: JOB_ID, paths: null, unpack: false });
    const panel = await screen.findByTestId("transfers-panel");
    expect(screen.getByTestId("transfers-toggle")).toHaveAttribute("aria-expanded", "true");

    feed.send([batch({ id: 3, name: "older", state: "done" }), batch({ id: 4 })]);
    const cards = await within(panel).findAllByTestId("batch");
    expect(cards.map((card) => [card.dataset.batchId, card.getAttribute("aria-current")])).toEqual([
      ["3", null],
      ["4", "true"],
    ]);
    expect(vi.mocked(Element.prototype.scrollIntoView).mock.contexts).toEqual([cards[1]]);
  });

  it("ticks a folder and everything below it, shows it partly ticked, and downloads the ticked paths", async () => {
    const calls = mockBackend(signedInHandlers({ start_download: () => 5 }));
    const { user, detail } = await openJob();
    await within(detail).findByTestId("output-tree");

    await user.click(checkbox(TILE));
    await user.click(within(detail).getByTestId("tree-folder"));
    const files = [`${TILE}/DESJ022640.4160-154120.0040_g.fits`, R_FITS, `${TILE}/DESJ022640.4160-154120.0040_irg_stiff.png`];
    expect(files.map((path) => checkbox(path).checked)).toEqual([true, true, true]);
    expect(checkbox(TILE).checked).toBe(true);
    expect(checkbox("").indeterminate).toBe(true);
    expect(within(detail).getByTestId("download-selected")).toHaveTextContent("Download selected (3)");
    expect(within(detail).getByTestId("tree-folder")).toHaveAttribute("aria-expanded", "true");

    await user.click(checkbox(R_FITS));
    expect(checkbox(TILE).checked).toBe(false);
    expect(checkbox(TILE).indeterminate).toBe(true);

    // A click anywhere on a file's row ticks it.
    await user.click(within(detail).getByText("BulkThumbs_20200706-152133.log"));
    expect(checkbox("BulkThumbs_20200706-152133.log").checked).toBe(true);

    const selected = within(detail).getByTestId("download-selected");
    expect(selected).toHaveTextContent("Download selected (3)");
    await user.click(selected);
    expect(calls.find((call) => call.cmd === "start_download")?.args).toEqual({
      account: DEMO_ACCOUNT.id,
      jobId: JOB_ID,
      paths: [files[0], files[2], "BulkThumbs_20200706-152133.log"],
      unpack: false,
    });
    await screen.findByTestId("transfers-panel");
    expect(selected).toHaveTextContent("Download selected (0)");
    expect(checkbox(TILE).indeterminate).toBe(false);
  });

  it("ticks everything with the heading's box and sends the top-level entries", async () => {
    const calls = mockBackend(signedInHandlers({ start_download: () => 5 }));
    const { user, detail } = await openJob();
    await within(detail).findByTestId("output-tree");

    await user.click(within(detail).getByRole("checkbox", { name: "Select all outputs" }));
    expect(checkbox(TILE).checked).toBe(true);
    await user.click(within(detail).getByTestId("download-selected"));
    expect(calls.find((call) => call.cmd === "start_download")?.args).toEqual({
      account: DEMO_ACCOUNT.id,
      jobId: JOB_ID,
      paths: [TILE, "BTL_C39008AA52F54B9E94335B566743AF0C.csv", "BulkThumbs_20200706-152133.log", "BulkThumbs_20200706-152133_SUMMARY.json"],
      unpack: false,
    });
  });

  it("keeps the buttons disabled for a job without outputs", async () => {
    mockBackend(signedInHandlers({ job_outputs: () => folder("", []) }));
    const { detail } = await openJob();

    expect(await within(detail).findByText("No output files")).toBeInTheDocument();
    expect(within(detail).getByTestId("download-all")).toBeDisabled();
    expect(within(detail).getByTestId("download-all")).toHaveTextContent(/^Download all$/);
    expect(within(detail).getByTestId("download-selected")).toBeDisabled();
  });

  it("keeps the buttons disabled when the job's files are gone", async () => {
    mockBackend(
      signedInHandlers({
        job_outputs: () => {
          throw backendError("notFound", "The job folder does not exist on the archive.");
        },
      }),
    );
    const { detail } = await openJob();

    expect(await within(detail).findByText("Outputs not available")).toBeInTheDocument();
    expect(within(detail).getByTestId("download-all")).toBeDisabled();
  });

  it("shows why a download could not start, and retries it", async () => {
    let failures = 1;
    const calls = mockBackend(
      signedInHandlers({
        start_download: () => {
          if (failures-- > 0) throw backendError("disk", "Could not create /home/demo/Downloads/Jobfetch: permission denied.", true);
          return 9;
        },
      }),
    );
    const { user, detail } = await openJob();
    await within(detail).findByTestId("output-tree");

    await user.click(within(detail).getByTestId("download-all"));
    const banner = await within(detail).findByTestId("error-banner");
    expect(banner).toHaveTextContent("Can't use the disk");
    expect(banner).toHaveTextContent("permission denied");
    expect(screen.queryByTestId("transfers-panel")).not.toBeInTheDocument();

    await user.click(within(banner).getByRole("button", { name: "Retry" }));
    await screen.findByTestId("transfers-panel");
    expect(calls.filter((call) => call.cmd === "start_download").map((call) => call.args)).toEqual([
      { account: DEMO_ACCOUNT.id, jobId: JOB_ID, paths: null, unpack: false },
      { account: DEMO_ACCOUNT.id, jobId: JOB_ID, paths: null, unpack: false },
    ]);
    expect(within(detail).queryByTestId("error-banner")).not.toBeInTheDocument();
  });

  it("reports an expired session from starting a download to the app", async () => {
    const expired = backendError("authExpired", "Your session has expired.");
    mockBackend(
      signedInHandlers({
        start_download: () => {
          throw expired;
        },
      }),
    );
    const { user, detail, onAuthExpired } = await openJob();
    await within(detail).findByTestId("output-tree");

    await user.click(within(detail).getByTestId("download-all"));
    await vi.waitFor(() => expect(onAuthExpired).toHaveBeenCalledWith(expired));
  });
});
