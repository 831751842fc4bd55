// Tests for the signed-in workspace: the job list, job details, the output tree, and error and empty states.
import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { OutputNode } from "../bindings/OutputNode";
import { DEMO_ACCOUNT, JOBS, TREE, backendError, folder, mockBackend, signedInHandlers, workspaceProps } from "../../test/fixtures";
import { Transfers } from "../transfers.svelte";
import Workspace from "./Workspace.svelte";

const SUCCESS_ID = "c39008aa52f54b9e94335b566743af0c";

function renderWorkspace() {
  const onAuthExpired = vi.fn();
  render(Workspace, { ...workspaceProps(), transfers: new Transfers(), onAuthExpired });
  return { onAuthExpired, user: userEvent.setup() };
}

async function openJob(user: ReturnType<typeof userEvent.setup>, id: string) {
  const rows = await screen.findAllByTestId("job-row");
  const row = rows.find((element) => element.dataset.jobId === id);
  if (!row) throw new Error(`no row for job ${id}`);
  await user.click(row);
  return screen.getByTestId("job-detail");
}

describe("room for a download", () => {
  it("says how much room the download folder has, and warns when a job or a selection won't fit", async () => {
    mockBackend(signedInHandlers());
    const { user } = renderWorkspace();
    const roomy = await openJob(user, SUCCESS_ID);
    expect(await within(roomy).findByTestId("free-space")).toHaveTextContent("500 GiB free");
    expect(within(roomy).queryByTestId("no-room")).not.toBeInTheDocument();
  });

  it("warns before a download that would not fit", async () => {
    mockBackend(signedInHandlers({ free_space: () => 1024 }));
    const { user } = renderWorkspace();
    const detail = await openJob(user, SUCCESS_ID);
    const warning = await within(detail).findByTestId("no-room");
    expect(warning).toHaveTextContent(/Not enough room: this job needs .* and the download folder's disk has 1\.0 KiB free/);
  });
});

describe("an expired job", () => {
  it("warns before a download that its files may be gone, and says what expiry means on its archive", async () => {
    mockBackend(signedInHandlers());
    const { user } = renderWorkspace();
    const detail = await openJob(user, SUCCESS_ID);
    const warning = within(detail).getByTestId("expired-warning");
    expect(warning).toHaveTextContent(/This job expired .* ago: its files may already be gone/);
    expect(within(warning).getByTestId("expiry-meaning")).toHaveTextContent("DESaccess deletes a job's files");
    const notExpired = await openJob(user, JOBS[1].id);
    expect(within(notExpired).queryByTestId("expired-warning")).not.toBeInTheDocument();
  });
});

describe("job list", () => {
  it("shows each job's name, type, status badge and times", async () => {
    mockBackend(signedInHandlers());
    renderWorkspace();

    const rows = await screen.findAllByTestId("job-row");
    expect(rows.map((row) => row.dataset.status)).toEqual(["init", "started", "success", "failure"]);
    expect(rows.map((row) => row.querySelector(".badge")?.textContent?.trim())).toEqual([
      "Queued",
      "Running",
      "Succeeded",
      "Failed",
    ]);
    expect(rows[2]).toHaveTextContent("bulkthumbs_test");
    expect(rows[2]).toHaveTextContent("cutout");
    expect(rows[2]).toHaveTextContent("22 Sep 2020, 18:27");
    expect(rows[2]).toHaveTextContent(/Finished\s*22 Sep 2020, 18:31/);
    expect(rows[0]).toHaveTextContent("Not started yet");
    expect(screen.getByTestId("job-count")).toHaveTextContent("4 jobs");
  });

  it("filters by name, type or id", async () => {
    mockBackend(signedInHandlers());
    const { user } = renderWorkspace();
    await screen.findAllByTestId("job-row");

    await user.type(screen.getByLabelText("Filter jobs"), "query");
    expect(screen.getAllByTestId("job-row").map((row) => row.dataset.jobId)).toEqual([JOBS[3].id]);
    expect(screen.getByTestId("job-count")).toHaveTextContent("1 of 4 jobs");

    await user.clear(screen.getByLabelText("Filter jobs"));
    await user.type(screen.getByLabelText("Filter jobs"), "nothing-like-this");
    expect(screen.queryAllByTestId("job-row")).toHaveLength(0);
    expect(screen.getByText("No matching jobs")).toBeInTheDocument();
  });

  it("says so when there are no jobs", async () => {
    mockBackend(signedInHandlers({ list_jobs: () => [] }));
    renderWorkspace();
    expect(await screen.findByText("No jobs yet")).toBeInTheDocument();
    expect(screen.getByTestId("job-count")).toHaveTextContent("0 jobs");
  });

  it("shows a failed load in a banner whose Retry loads again", async () => {
    let failures = 1;
    mockBackend(
      signedInHandlers({
        list_jobs: () => {
          if (failures-- > 0) throw backendError("network", "Couldn't connect to des.ncsa.illinois.edu.", true);
          return JOBS;
        },
      }),
    );
    const { user } = renderWorkspace();

    const banner = await screen.findByTestId("error-banner");
    expect(banner).toHaveTextContent("Couldn't connect to des.ncsa.illinois.edu.");
    await user.click(within(banner).getByRole("button", { name: "Retry" }));

    expect(await screen.findAllByTestId("job-row")).toHaveLength(JOBS.length);
    expect(screen.queryByTestId("error-banner")).not.toBeInTheDocument();
  });

  it("offers no Retry for an error that retrying can't fix", async () => {
    mockBackend(
      signedInHandlers({
        list_jobs: () => {
          throw backendError("protocol", "The archive's job list is not in the expected format.");
        },
      }),
    );
    renderWorkspace();

    const banner = await screen.findByTestId("error-banner");
    expect(banner).toHaveTextContent("The archive's job list is not in the expected format.");
    expect(within(banner).queryByRole("button", { name: "Retry" })).not.toBeInTheDocument();
  });

  it("moves the selection with the arrow keys", async () => {
    mockBackend(signedInHandlers());
    const { user } = renderWorkspace();
    await openJob(user, JOBS[1].id);

    await user.keyboard("{ArrowDown}");
    expect(screen.getByTestId("job-detail").dataset.jobId).toBe(JOBS[2].id);
    expect(document.activeElement).toBe(screen.getAllByTestId("job-row")[2]);
  });
});

describe("job detail", () => {
  it("shows the selected job's id, type, status, times and expiry", async () => {
    mockBackend(signedInHandlers());
    const { user } = renderWorkspace();
    const detail = await openJob(user, SUCCESS_ID);

    expect(within(detail).getByRole("heading", { name: "bulkthumbs_test" })).toBeInTheDocument();
    expect(within(detail).getByTestId("job-id")).toHaveTextContent(SUCCESS_ID);
    expect(detail).toHaveTextContent("Succeeded");
    expect(detail).toHaveTextContent("Job complete");
    expect(detail).toHaveTextContent(/Completed\s*22 Sep 2020, 18:31/);
    expect(detail).toHaveTextContent(/Expires\s*22 Oct 2020, 18:31\s*expired \d+ years ago/);
    expect(screen.getAllByTestId("job-row")[2]).toHaveAttribute("aria-current", "true");
  });

  it("shows a failed job's message", async () => {
    mockBackend(signedInHandlers());
    const { user } = renderWorkspace();
    const detail = await openJob(user, JOBS[3].id);

    expect(within(detail).getByTestId("status-message")).toHaveTextContent("ORA-00942: table or view does not exist");
    expect(within(detail).getByTestId("status-message")).toHaveClass("failure");
  });
});

describe("output tree", () => {
  it("lists the job folder with folders closed, and opens and closes a folder", async () => {
    const calls = mockBackend(signedInHandlers());
    const { user } = renderWorkspace();
    const detail = await openJob(user, SUCCESS_ID);

    const tree = await within(detail).findByTestId("output-tree");
    expect(calls.find((call) => call.cmd === "job_outputs")?.args).toEqual({ account: DEMO_ACCOUNT.id, jobId: SUCCESS_ID });
    expect(detail).toHaveTextContent("6 files · 4.1 MiB");
    expect(within(tree).getAllByTestId("tree-file").map((row) => row.dataset.path)).toEqual([
      "BTL_C39008AA52F54B9E94335B566743AF0C.csv",
      "BulkThumbs_20200706-152133.log",
      "BulkThumbs_20200706-152133_SUMMARY.json",
    ]);
    expect(within(tree).getAllByTestId("tree-file")[0]).toHaveTextContent("CSV");
    expect(within(tree).getAllByTestId("tree-file")[2]).toHaveTextContent("SUMMARY");

    const tile = within(tree).getByTestId("tree-folder");
    expect(tile).toHaveAttribute("data-path", "DES0226-1541");
    expect(tile).toHaveTextContent("DES0226-1541");
    expect(tile).toHaveTextContent("3 files");
    expect(tile).toHaveTextContent("4.1 MiB");
    expect(tile).toHaveAttribute("aria-expanded", "false");
    expect(tree.querySelector('[data-path$="_r.fits"]')).toBeNull();

    await user.click(tile);
    expect(tile).toHaveAttribute("aria-expanded", "true");
    const fits = tree.querySelector<HTMLElement>('[data-path="DES0226-1541/DESJ022640.4160-154120.0040_r.fits"]');
    const png = tree.querySelector<HTMLElement>('[data-path="DES0226-1541/DESJ022640.4160-154120.0040_irg_stiff.png"]');
    expect(fits).toHaveTextContent("FITS r");
    expect(fits).toHaveTextContent("2.0 MiB");
    expect(fits).toHaveTextContent("22 Sep 2020, 18:30");
    expect(png).toHaveTextContent("STIFF irg");
    expect(png).toHaveTextContent("47.1 KiB");

    await user.click(tile);
    expect(tile).toHaveAttribute("aria-expanded", "false");
    expect(tree.querySelector('[data-path$="_r.fits"]')).toBeNull();
  });

  it("renders big jobs a chunk at a time and folder contents only when opened", async () => {
    const tiles = Array.from({ length: 520 }, (_, i) => {
      const name = `DES${String(i).padStart(4, "0")}-1541`;
      return folder(name, [
        { kind: "fits", band: "g", name: "a_g.fits", path: `${name}/a_g.fits`, size: 10, modified: null, fileCount: 1, children: [] },
      ]);
    });
    const big: OutputNode = folder("", tiles);
    mockBackend(signedInHandlers({ job_outputs: () => big }));
    const { user } = renderWorkspace();
    const detail = await openJob(user, SUCCESS_ID);

    const tree = await within(detail).findByTestId("output-tree");
    expect(within(tree).getAllByTestId("tree-folder")).toHaveLength(200);
    expect(within(tree).queryAllByTestId("tree-file")).toHaveLength(0);

    // Role queries are slow over hundreds of rows in jsdom, so the "more" button is found by its text.
    const more = () => within(tree).queryByText(/^Show \d+ more/);
    expect(more()).toHaveTextContent("Show 200 more (320 entries not shown)");
    await user.click(more()!);
    expect(within(tree).getAllByTestId("tree-folder")).toHaveLength(400);
    expect(more()).toHaveTextContent("Show 120 more (120 entries not shown)");
    await user.click(more()!);
    expect(within(tree).getAllByTestId("tree-folder")).toHaveLength(520);
    expect(more()).not.toBeInTheDocument();
  });

  it("explains that a running job has no outputs yet", async () => {
    mockBackend(
      signedInHandlers({
        job_outputs: () => {
          throw backendError("notFound", "The job folder does not exist on the archive.");
        },
      }),
    );
    const { user } = renderWorkspace();
    const detail = await openJob(user, JOBS[1].id);

    expect(await within(detail).findByText("No outputs yet")).toBeInTheDocument();
    // A folder not there yet is what a running job has: no "not found" detail that reads like expiry.
    expect(detail).not.toHaveTextContent("The job folder does not exist on the archive.");
    expect(within(detail).queryByTestId("error-banner")).not.toBeInTheDocument();
  });

  it("explains that a finished job's files are gone", async () => {
    mockBackend(
      signedInHandlers({
        job_outputs: () => {
          throw backendError("notFound", "The job folder does not exist on the archive.");
        },
      }),
    );
    const { user } = renderWorkspace();
    const detail = await openJob(user, SUCCESS_ID);

    expect(await within(detail).findByText("Outputs not available")).toBeInTheDocument();
    expect(detail).toHaveTextContent("expired or were removed");
    expect(detail).toHaveTextContent("The job folder does not exist on the archive.");
  });

  it("shows an empty folder of a queued job as not started, and loads again on request", async () => {
    let listings = 0;
    mockBackend(
      signedInHandlers({
        job_outputs: () => {
          listings += 1;
          return listings === 1 ? folder("", []) : TREE;
        },
      }),
    );
    const { user } = renderWorkspace();
    const detail = await openJob(user, JOBS[0].id);

    expect(await within(detail).findByText("No outputs yet")).toBeInTheDocument();
    await user.click(within(detail).getByRole("button", { name: "Check again" }));
    expect(await within(detail).findByTestId("output-tree")).toBeInTheDocument();
    expect(detail).toHaveTextContent("This job is still running, so its outputs may be incomplete.");
  });

  it("reports an expired session from the outputs to the app", async () => {
    const expired = backendError("authExpired", "Your session has expired.");
    mockBackend(
      signedInHandlers({
        job_outputs: () => {
          throw expired;
        },
      }),
    );
    const { user, onAuthExpired } = renderWorkspace();
    await openJob(user, SUCCESS_ID);

    await vi.waitFor(() => expect(onAuthExpired).toHaveBeenCalledWith(expired));
  });
});
