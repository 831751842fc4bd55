// Tests for jobs whose files are kept on storage (a JDMA-like archive): a batch offers bringing files back instead of downloading, the request made opens with its stage timeline and is followed to be copied down, and deleting asks first.
import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { Account } from "../bindings/Account";
import type { Job } from "../bindings/Job";
import type { JobStages } from "../bindings/JobStages";
import type { ProviderInfo } from "../bindings/ProviderInfo";
import type { SignedIn } from "../bindings/SignedIn";
import { Accounts } from "../accounts.svelte";
import { DESACCESS, file, folder, mockBackend, noActions, signedInHandlers, startup } from "../../test/fixtures";
import { Transfers } from "../transfers.svelte";
import Workspace from "./Workspace.svelte";

const TAPE: ProviderInfo = {
  ...DESACCESS,
  id: "jdma",
  name: "JDMA",
  fields: [],
  abilities: { jobs: true, search: false, previews: false, uploads: false, requests: true, footprints: false },
  expiry: null,
  retrieval: { action: "Bring back from storage", targetLabel: "Folder on JASMIN", help: "The files come back into a folder of the group workspace." },
  deletion: "The batch's copies on storage are removed for good; files on disk are not touched.",
};
const ACCOUNT: Account = { id: "jdma:demo@127.0.0.1:40125", provider: "jdma", label: "demo on 127.0.0.1:40125", settings: {} };
const SIGNED_IN: SignedIn = { account: ACCOUNT, profile: { username: "demo", name: "", email: "" } };

function tapeJob(id: string, name: string, status: Job["status"], statusMessage: string, jobType: string): Job {
  return {
    id,
    name,
    jobType,
    status,
    statusMessage,
    submitted: "2026-11-30T10:00:00Z",
    started: null,
    completed: null,
    expires: null,
    account: ACCOUNT.id,
    location: `${id} in climate on elastictape`,
  };
}
const BATCH = tapeJob("batch-103", "ocean_run", "success", "ON_STORAGE", "batch");
const REQUEST = tapeJob("request-9", "GET of batch 103", "started", "GET_PENDING", "request");
const BATCH_TREE = folder("", [
  folder("archive_0000000103", [file("archive_0000000103/run1/a.nc", 1000, { kind: "other" }), file("archive_0000000103/run1/b.nc", 2000, { kind: "other" })]),
]);
const STAGES: JobStages = {
  stage: "GET_PENDING",
  steps: [
    { name: "GET_START", state: "done" },
    { name: "GET_PENDING", state: "current" },
    { name: "GET_GETTING", state: "waiting" },
    { name: "GET_COMPLETED", state: "waiting" },
  ],
  ended: false,
  failed: false,
  reason: null,
};

function open(overrides: Parameters<typeof signedInHandlers>[0] = {}) {
  let listed = [BATCH];
  const calls = mockBackend(
    signedInHandlers({
      list_jobs: () => listed,
      job_outputs: () => BATCH_TREE,
      job_offers: (args) =>
        (args as { jobId: string }).jobId === BATCH.id ? { download: false, downloadWhenFinished: false, retrieve: true, delete: true, outputsFinal: true }
          : { download: false, downloadWhenFinished: true, retrieve: false, delete: false, outputsFinal: true },
      job_stages: (args) => ((args as { jobId: string }).jobId === REQUEST.id ? STAGES : null),
      retrieval_target: () => "/gws/climate/users/demo/ocean_run_get",
      retrieve_from_storage: () => {
        listed = [REQUEST, BATCH];
        return REQUEST;
      },
      delete_job: () => {
        const deleting = tapeJob("request-10", "DELETE of batch 103", "init", "DELETE_START", "request");
        listed = [deleting, BATCH];
        return deleting;
      },
      download_when_finished: () => null,
      ...overrides,
    }),
  );
  const accounts = new Accounts(startup({ providers: [DESACCESS, TAPE], accounts: [ACCOUNT], active: ACCOUNT.id }));
  render(Workspace, { signedIn: SIGNED_IN, accounts, actions: noActions(), transfers: new Transfers(), onAuthExpired: vi.fn() });
  return { calls, user: userEvent.setup() };
}

async function openBatch(user: ReturnType<typeof userEvent.setup>) {
  const row = (await screen.findAllByTestId("job-row")).find((r) => r.dataset.jobId === BATCH.id)!;
  await user.click(row);
  const detail = screen.getByTestId("job-detail");
  await within(detail).findByTestId("retrieve-all");
  return detail;
}

describe("a job whose files are kept on storage", () => {
  it("offers bringing its files back instead of downloading them, and shows no timeline for a batch", async () => {
    const { user } = open();
    const detail = await openBatch(user);
    expect(within(detail).getByTestId("retrieve-all")).toHaveTextContent("Bring back from storage · 2 files · 2.9 KiB");
    expect(within(detail).queryByTestId("download-all")).not.toBeInTheDocument();
    expect(within(detail).queryByTestId("stage-timeline")).not.toBeInTheDocument();
    expect(within(detail).getByTestId("retrieve-selected")).toBeDisabled();
  });

  it("brings the selected files back into the suggested folder, opens the request with its stages and follows it to copy", async () => {
    const { user, calls } = open();
    const detail = await openBatch(user);
    await user.click(document.querySelector<HTMLInputElement>('[data-testid=tree-checkbox][data-path="archive_0000000103"]')!);
    await user.click(within(detail).getByTestId("retrieve-selected"));
    const dialog = await screen.findByTestId("retrieve-dialog");
    const target = within(dialog).getByTestId("retrieve-target");
    await vi.waitFor(() => expect(target).toHaveValue("/gws/climate/users/demo/ocean_run_get"));
    expect(dialog).toHaveTextContent("2 files of ocean_run (2.9 KiB) come back");
    expect(within(dialog).getByTestId("retrieve-copy")).toBeChecked();
    await user.click(within(dialog).getByTestId("retrieve-confirm"));

    expect(calls.find((call) => call.cmd === "retrieve_from_storage")?.args).toEqual({
      account: ACCOUNT.id,
      jobId: BATCH.id,
      paths: ["archive_0000000103"],
      target: "/gws/climate/users/demo/ocean_run_get",
    });
    await vi.waitFor(() => expect(screen.queryByTestId("retrieve-dialog")).not.toBeInTheDocument());
    const timeline = await screen.findByTestId("stage-timeline");
    expect(screen.getByTestId("job-detail")).toHaveAttribute("data-job-id", REQUEST.id);
    expect(within(timeline).getAllByTestId("stage-step").map((step) => [step.textContent?.trim(), step.dataset.state])).toEqual([
      ["Start", "done"],
      ["2 Pending", "current"],
      ["3 Getting", "waiting"],
      ["4 Completed", "waiting"],
    ]);
    expect(timeline).toHaveTextContent("1 of 4 done");
    // The stage is said once, by the timeline and in words in the list, not as the archive's code.
    expect(screen.queryByTestId("status-message")).not.toBeInTheDocument();
    const row = screen.getAllByTestId("job-row").find((r) => r.dataset.jobId === REQUEST.id)!;
    expect(within(row).getByTestId("job-status-text")).toHaveTextContent("Get pending");
    expect(row).not.toHaveTextContent("GET_PENDING");
    expect(screen.queryByTestId("download-all")).not.toBeInTheDocument();
    // A GET names its files when made: its list is whole while it runs.
    expect(await within(screen.getByTestId("job-detail")).findByTestId("output-tree")).toBeInTheDocument();
    expect(screen.getByTestId("job-detail")).not.toHaveTextContent("may be incomplete");
    await vi.waitFor(() => expect(calls.some((call) => call.cmd === "download_when_finished")).toBe(true));
    expect(calls.find((call) => call.cmd === "download_when_finished")?.args).toEqual({ account: ACCOUNT.id, jobId: REQUEST.id, paths: null });
  });

  it("keeps the dialog open with the archive's reason when it refuses the request", async () => {
    const { user } = open({
      retrieve_from_storage: () => {
        throw { code: "invalidInput", message: "Batch 103 is not on storage yet.", retryable: false };
      },
    });
    const detail = await openBatch(user);
    await user.click(within(detail).getByTestId("retrieve-all"));
    const dialog = await screen.findByTestId("retrieve-dialog");
    await vi.waitFor(() => expect(within(dialog).getByTestId("retrieve-target")).not.toHaveValue(""));
    await user.click(within(dialog).getByTestId("retrieve-confirm"));
    expect(await within(dialog).findByText(/not on storage yet/)).toBeInTheDocument();
  });

  it("asks before deleting, says what deleting does, and opens the deletion's request", async () => {
    const { user, calls } = open();
    const detail = await openBatch(user);
    await user.click(within(detail).getByTestId("delete-job"));
    const dialog = await screen.findByTestId("delete-dialog");
    expect(dialog).toHaveTextContent("Delete ocean_run?");
    expect(dialog).toHaveTextContent("removed for good");
    await user.click(within(dialog).getByTestId("delete-cancel"));
    expect(calls.some((call) => call.cmd === "delete_job")).toBe(false);

    await user.click(within(detail).getByTestId("delete-job"));
    await user.click(within(await screen.findByTestId("delete-dialog")).getByTestId("delete-confirm"));
    expect(calls.find((call) => call.cmd === "delete_job")?.args).toEqual({ account: ACCOUNT.id, jobId: BATCH.id });
    await vi.waitFor(() => expect(screen.getByTestId("job-detail")).toHaveAttribute("data-job-id", "request-10"));
  });
});
