// The desktop around the window: the welcome screen of a fresh install, jobfetch:// links from later launches,
// the question when the window closes while downloads run, the download folder chosen per account, and jobs
// that refresh by themselves while they run.
import { emit } from "@tauri-apps/api/event";
import { render, screen, waitFor } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import App from "../../App.svelte";
import type { Job } from "../bindings/Job";
import { DESACCESS, DEMO_ACCOUNT, DOWNLOAD_FOLDER, JOBS, MAST, SESSION, mockBackend, signedInHandlers, startup } from "../../test/fixtures";
import CloseDialog from "./CloseDialog.svelte";

const FRESH = { startup_state: () => startup({ accounts: [], active: null }) };

describe("a fresh install", () => {
  it("welcomes with every archive and the demo, and opens an archive's sign-in form", async () => {
    const user = userEvent.setup();
    const calls = mockBackend({ ...FRESH, open_demo: () => null });
    render(App);
    const archive = await screen.findByTestId("welcome-archive");
    expect(archive).toHaveTextContent(DESACCESS.name);
    expect(archive).toHaveTextContent(DESACCESS.summary);

    await user.click(screen.getByTestId("open-demo"));
    expect(await screen.findByRole("status")).toHaveTextContent("opening in its own window");
    expect(calls.map((call) => call.cmd)).toEqual(["startup_state", "open_demo"]);

    await user.click(archive);
    expect(await screen.findByTestId("sign-in-form")).toHaveAttribute("data-provider", DESACCESS.id);
  });

  it("says what a link needs when no account can open it", async () => {
    mockBackend({
      startup_state: () => startup({ accounts: [], active: null, open: [{ kind: "job", archive: "desaccess", job: "abc", server: "des.example.org" }] }),
    });
    render(App);
    expect(await screen.findByTestId("link-notice")).toHaveTextContent(
      "The link opens DESaccess job abc on des.example.org: add a DESaccess account on des.example.org first",
    );
    expect(screen.getByTestId("welcome")).toBeInTheDocument();
  });
});

describe("links from later launches", () => {
  it("opens the linked job in the account of its archive, and says why it cannot open anything else", async () => {
    const [first, second] = JOBS;
    mockBackend(signedInHandlers({ last_job: () => first.id, sign_in: () => SESSION }));
    render(App);
    await waitFor(() => expect(screen.getByTestId("job-detail")).toHaveAttribute("data-job-id", first.id));

    await emit("open-request", { kind: "job", archive: "desaccess", job: second.id, server: null });
    await waitFor(() => expect(screen.getByTestId("job-detail")).toHaveAttribute("data-job-id", second.id));

    await emit("open-request", { kind: "unsupported", argument: "/tmp/x.fits", reason: "Jobfetch opens only jobfetch:// links." });
    expect(await screen.findByTestId("link-notice")).toHaveTextContent("Jobfetch could not open /tmp/x.fits: Jobfetch opens only jobfetch:// links.");
  });
});

describe("closing the window while downloads run", () => {
  it("asks, and keeps downloading in the background or quits as answered", async () => {
    const user = userEvent.setup();
    const calls = mockBackend({ keep_downloading: () => null, quit: () => null });
    render(CloseDialog);
    expect(screen.queryByTestId("close-dialog")).toBeNull();

    await emit("close-requested", 2);
    expect(await screen.findByTestId("close-dialog")).toHaveTextContent("2 downloads still running");
    await user.click(screen.getByTestId("close-keep"));
    await waitFor(() => expect(screen.queryByTestId("close-dialog")).toBeNull());

    await emit("close-requested", 1);
    expect(await screen.findByTestId("close-dialog")).toHaveTextContent("1 download still running");
    await user.click(screen.getByTestId("close-cancel"));
    expect(screen.queryByTestId("close-dialog")).toBeNull();

    await emit("close-requested", 1);
    await user.click(await screen.findByTestId("close-quit"));
    expect(calls.map((call) => call.cmd)).toEqual(["keep_downloading", "quit"]);
  });
});

describe("the download folder", () => {
  it("is the account's own, and the folder dialog's choice replaces it", async () => {
    const user = userEvent.setup();
    const chosen = "/home/ana/Science/cutouts";
    const calls = mockBackend(signedInHandlers({ last_job: () => JOBS[0].id, choose_download_folder: () => chosen }));
    render(App);
    expect(await screen.findByTestId("download-folder")).toHaveTextContent(DOWNLOAD_FOLDER);
    await user.click(screen.getByTestId("choose-folder"));
    await waitFor(() => expect(screen.getByTestId("download-folder")).toHaveTextContent(chosen));
    const asked = calls.filter((call) => ["download_folder", "choose_download_folder", "free_space"].includes(call.cmd));
    expect(asked.every((call) => call.args.account === DEMO_ACCOUNT.id)).toBe(true);
    expect(asked.filter((call) => call.cmd === "free_space").length).toBeGreaterThanOrEqual(2);
  });
});

describe("jobs still running", () => {
  afterEach(() => vi.useRealTimers());

  it("are asked about again by themselves, less often while nothing changes, until they end", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const running: Job = { ...JOBS[0], id: "f00d", status: "started", completed: null };
    let lists = 0;
    mockBackend(
      signedInHandlers({
        list_jobs: () => {
          lists += 1;
          return [lists < 4 ? running : { ...running, status: "success" }, ...JOBS.filter((job) => job.status === "success")];
        },
      }),
    );
    render(App);
    await screen.findAllByTestId("job-row");
    expect(lists).toBe(1);
    await vi.advanceTimersByTimeAsync(2_100);
    expect(lists).toBe(2);
    await vi.advanceTimersByTimeAsync(2_100);
    expect(lists).toBe(2);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(lists).toBe(3);
    await vi.advanceTimersByTimeAsync(4_600);
    expect(lists).toBe(4);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(lists).toBe(4);
  });
});

describe("Download when finished", () => {
  it("waits for a running job, then opens its batch; or says why it failed", async () => {
    const user = userEvent.setup();
    const running = JOBS.find((job) => job.status === "started")!;
    const ref = { account: running.account, job: running.id };
    const calls = mockBackend(
      signedInHandlers({ last_job: () => running.id, followed_jobs: () => [], download_when_finished: () => null, stop_following: () => null }),
    );
    render(App);
    const panel = await screen.findByTestId("wait-panel");
    expect(panel).toHaveTextContent("This job is still running");

    await user.click(screen.getByTestId("download-when-finished"));
    await waitFor(() => expect(screen.getByTestId("wait-panel")).toHaveAttribute("data-waiting", "true"));
    expect(calls.find((call) => call.cmd === "download_when_finished")?.args).toEqual({ account: ref.account, jobId: ref.job, paths: null });
    expect(screen.getByTestId("wait-panel")).toHaveTextContent("Downloads by itself when the job finishes");

    await emit("followed-job", { kind: "failed", job: ref, message: "ORA-00942: table or view does not exist" });
    expect(await screen.findByTestId("wait-failure")).toHaveTextContent("ORA-00942");
    expect(screen.getByTestId("wait-panel")).toHaveAttribute("data-waiting", "false");

    await user.click(screen.getByTestId("download-when-finished"));
    await waitFor(() => expect(screen.queryByTestId("wait-failure")).toBeNull());
    await emit("followed-job", { kind: "downloading", job: ref, batch: 7 });
    await waitFor(() => expect(screen.getByTestId("wait-panel")).toHaveAttribute("data-waiting", "false"));
    expect(await screen.findByTestId("transfers-panel")).toBeInTheDocument();

    await user.click(screen.getByTestId("download-when-finished"));
    await user.click(await screen.findByTestId("stop-waiting"));
    expect(calls.filter((call) => call.cmd === "stop_following")).toHaveLength(1);
  });
});

describe("files handed to the window", () => {
  const SCRIPT = "/home/ana/Downloads/MAST_2026-12-02T1200.sh";
  const OFFER = {
    file: {
      path: SCRIPT,
      name: "MAST_2026-12-02T1200.sh",
      archive: "mast",
      kind: "MAST download script",
      files: 12,
      folder: "MAST_2026-12-02T1200",
      account: null,
      warning: "3 of the 12 files are exclusive-access and need a MAST token for https://mast.stsci.edu: add a MAST account with your token for that server first, or MAST will refuse them.",
    },
    folder: `${DOWNLOAD_FOLDER}/MAST_2026-12-02T1200`,
  };

  it("asks before downloading a launched script, says what its files need, and shows the batch", async () => {
    const user = userEvent.setup();
    const calls = mockBackend(
      signedInHandlers({
        startup_state: () => startup({ providers: [DESACCESS, MAST], open: [{ kind: "file", path: SCRIPT }] }),
        open_file: () => OFFER,
        download_file: () => 7,
      }),
    );
    render(App);
    const dialog = await screen.findByTestId("open-file-dialog");
    await waitFor(() => expect(dialog).toHaveTextContent("Download the files of MAST_2026-12-02T1200.sh?"));
    expect(screen.getByTestId("open-file-kind")).toHaveTextContent("MAST download script from MAST, listing 12 files");
    expect(screen.getByTestId("open-file-folder")).toHaveTextContent(`${DOWNLOAD_FOLDER}/MAST_2026-12-02T1200`);
    expect(screen.getByTestId("open-file-warning")).toHaveTextContent("3 of the 12 files are exclusive-access");
    await user.click(screen.getByTestId("open-file-download"));
    await waitFor(() => expect(screen.queryByTestId("open-file-dialog")).toBeNull());
    expect(calls.filter((call) => call.cmd.endsWith("_file"))).toEqual([
      { cmd: "open_file", args: { path: SCRIPT } },
      { cmd: "download_file", args: { path: SCRIPT } },
    ]);
    expect(await screen.findByTestId("transfers-panel")).toBeInTheDocument();
  });

  it("takes files from later launches and drops one at a time, and says why one cannot be opened", async () => {
    const user = userEvent.setup();
    mockBackend(
      signedInHandlers({
        startup_state: () => startup({ providers: [DESACCESS, MAST] }),
        open_file: ({ path }) => {
          if (path === "/tmp/notes.txt") throw { code: "invalidInput", message: "Jobfetch does not know what notes.txt is. It opens MAST download scripts (.sh).", retryable: false };
          return OFFER;
        },
      }),
    );
    render(App);
    await screen.findByRole("button", { name: "Refresh jobs" });
    await emit("open-request", { kind: "file", path: "/tmp/notes.txt" });
    await emit("tauri://drag-drop", { paths: [SCRIPT], position: { x: 10, y: 10 } });
    const dialog = await screen.findByTestId("open-file-dialog");
    await waitFor(() => expect(dialog).toHaveTextContent("It opens MAST download scripts (.sh)."));
    await user.click(screen.getByRole("button", { name: "Close" }));
    await waitFor(() => expect(screen.getByTestId("open-file-dialog")).toHaveTextContent("Download the files of MAST_2026-12-02T1200.sh?"));
    await user.click(screen.getByTestId("open-file-cancel"));
    await waitFor(() => expect(screen.queryByTestId("open-file-dialog")).toBeNull());
  });

  it("says where a script's files go when no account's workspace is open", async () => {
    const user = userEvent.setup();
    mockBackend({
      ...FRESH,
      startup_state: () => startup({ providers: [DESACCESS, MAST], accounts: [], active: null, open: [{ kind: "file", path: SCRIPT }] }),
      open_file: () => ({ ...OFFER, file: { ...OFFER.file, warning: null } }),
      download_file: () => 3,
      open_folder: () => null,
    });
    render(App);
    await user.click(await screen.findByTestId("open-file-download"));
    expect(await screen.findByTestId("open-file-started")).toHaveTextContent(`on their way into ${DOWNLOAD_FOLDER}/MAST_2026-12-02T1200`);
    expect(screen.getByTestId("welcome")).toBeInTheDocument();
  });
});
