// Tests for what UP42-like jobs add to the outputs: the map view (offered only where the archive has footprints,
// footprints and quicklooks highlighting each other, a click on either ticking the quicklook) and unpacking the
// result archives after download.
import { emit } from "@tauri-apps/api/event";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { JOBS, TransferFeed, UP42_FOOTPRINTS, batch, file, folder, mockBackend, signedInHandlers } from "../../test/fixtures";
import { DownloadPlace } from "../download-place.svelte";
import { Transfers } from "../transfers.svelte";
import OutputsPanel from "./OutputsPanel.svelte";
import TransfersPanel from "./TransfersPanel.svelte";

const JOB = JOBS[2];
const QUICKLOOKS = UP42_FOOTPRINTS.flatMap((footprint) => (footprint.quicklook ? [footprint.quicklook] : []));
const TREE = folder("", [folder("task_1", [file("task_1/results.tar.gz", 0, { kind: "tar" }), ...QUICKLOOKS.map((path) => file(path, 0, { kind: "image" }))])]);

beforeEach(() => {
  // Thumbnails never answer here: the map view does not wait for them.
  vi.stubGlobal("fetch", vi.fn(() => new Promise<Response>(() => {})));
  localStorage.setItem("jobfetch.outputsView", "map");
});
afterEach(() => {
  vi.unstubAllGlobals();
  localStorage.clear();
});

function renderPanel(withMap: boolean) {
  const calls = mockBackend(signedInHandlers({ job_outputs: () => TREE, job_footprints: () => UP42_FOOTPRINTS }));
  render(OutputsPanel, { job: JOB, transfers: new Transfers(), place: new DownloadPlace(JOB.account), onAuthExpired: vi.fn(), withMap });
  return { calls, user: userEvent.setup() };
}

const footprint = (id: string) => screen.getAllByTestId("footprint").find((element) => element.dataset.footprint === id)!;
const quicklook = (path: string) => screen.getAllByTestId("quicklook").find((element) => element.dataset.path === path)!;

describe("the map view", () => {
  it("is offered only where the archive knows where its scenes are", async () => {
    const { calls } = renderPanel(false);
    expect(await screen.findByTestId("gallery")).toBeInTheDocument();
    expect(screen.queryByTestId("view-map")).toBeNull();
    expect(calls.some((call) => call.cmd === "job_footprints")).toBe(false);
  });

  it("draws every footprint beside the quicklooks, each highlighting the other", async () => {
    renderPanel(true);
    expect(await screen.findByTestId("scenes-map")).toBeInTheDocument();
    await waitFor(() => expect(screen.getAllByTestId("footprint")).toHaveLength(UP42_FOOTPRINTS.length));
    expect(screen.getAllByTestId("quicklook")).toHaveLength(QUICKLOOKS.length);
    expect(screen.getByTestId("view-map")).toHaveAttribute("aria-pressed", "true");

    const [first, second] = UP42_FOOTPRINTS;
    await fireEvent.pointerEnter(footprint(first.id));
    await waitFor(() => expect(quicklook(first.quicklook!)).toHaveAttribute("data-highlighted", "true"));
    expect(quicklook(second.quicklook!)).toHaveAttribute("data-highlighted", "false");

    await fireEvent.pointerEnter(quicklook(second.quicklook!));
    await waitFor(() => expect(footprint(second.id)).toHaveAttribute("data-highlighted", "true"));
    expect(footprint(first.id)).not.toHaveAttribute("data-highlighted", "true");
  });

  it("ticks a scene's quicklook for download from its footprint or its picture", async () => {
    const { user } = renderPanel(true);
    await waitFor(() => expect(screen.getAllByTestId("quicklook")).toHaveLength(QUICKLOOKS.length));
    const [first, second] = UP42_FOOTPRINTS;
    await user.click(quicklook(first.quicklook!));
    expect(quicklook(first.quicklook!)).toHaveAttribute("aria-pressed", "true");
    await user.click(footprint(second.id));
    expect(quicklook(second.quicklook!)).toHaveAttribute("aria-pressed", "true");
    await user.click(quicklook(first.quicklook!));
    expect(quicklook(first.quicklook!)).toHaveAttribute("aria-pressed", "false");
  });
});

describe("unpacking result archives", () => {
  it("is offered for jobs with archives, sent with the download, and its outcome shown on the batch", async () => {
    localStorage.setItem("jobfetch.outputsView", "list");
    const feed = new TransferFeed();
    const calls = mockBackend(signedInHandlers({ job_outputs: () => TREE, start_download: () => 9, watch_transfers: feed.subscribe }));
    const transfers = new Transfers();
    transfers.start();
    const user = userEvent.setup();
    render(OutputsPanel, { job: JOB, transfers, place: new DownloadPlace(JOB.account), onAuthExpired: vi.fn(), withMap: true });
    render(TransfersPanel, { transfers, place: new DownloadPlace(JOB.account), originOf: () => null });
    await user.click(await screen.findByTestId("unpack-archives"));
    await user.click(screen.getByTestId("download-all"));
    expect(calls.find((call) => call.cmd === "start_download")?.args).toMatchObject({ paths: null, unpack: true });
    feed.send([batch({ id: 9, state: "running" })]);
    expect(await screen.findByTestId("batch-unpack")).toHaveTextContent("unpacked once every file has arrived");
    await emit("batch-unpacked", { batchId: 9, archives: 1, files: 4, error: null });
    await waitFor(() => expect(screen.getByTestId("batch-unpack")).toHaveTextContent("Unpacked 4 files from 1 archive"));
    await emit("batch-unpacked", { batchId: 9, archives: 0, files: 0, error: 'results.tar.gz: the member "../x" climbs out' });
    await waitFor(() => expect(screen.getByTestId("batch-unpack")).toHaveTextContent('the member "../x" climbs out'));
  });
});
