// Tests for the gallery: the view switch, virtualized tiles and their thumbnails, selecting in every way, and the preview pane.
import { fireEvent, render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { OutputNode } from "../bindings/OutputNode";
import { JOBS, TREE, TransferFeed, batch, file, folder, mockBackend, signedInHandlers } from "../../test/fixtures";
import { DownloadPlace } from "../download-place.svelte";
import { Transfers } from "../transfers.svelte";
import OutputsPanel from "./OutputsPanel.svelte";

const JOB = JOBS[2];
const [G, R, STIFF] = TREE.children[0].children.map((node) => node.path);
const CSV = TREE.children[1].path;

/** A fetch that answers each thumbnail request when the test says, and rejects when it is aborted. */
class FakeThumbs {
  requests: { url: string; answer: (response: Response) => void }[] = [];
  fetch = vi.fn(
    (url: string, init: RequestInit) =>
      new Promise<Response>((resolve, reject) => {
        this.requests.push({ url, answer: resolve });
        init.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
      }),
  );

  /** The request for `path`, by its URL. */
  find(path: string) {
    return this.requests.find((request) => decodeURIComponent(new URL(request.url).pathname).endsWith(`/${path}`));
  }

  png() {
    return new Response("png", { status: 200, headers: { "content-type": "image/png" } });
  }
}

let thumbs: FakeThumbs;
beforeEach(() => {
  thumbs = new FakeThumbs();
  vi.stubGlobal("fetch", thumbs.fetch);
  localStorage.setItem("jobfetch.outputsView", "gallery");
});
afterEach(() => {
  vi.unstubAllGlobals();
  localStorage.clear();
});

function renderPanel(tree: OutputNode = TREE, handlers = {}) {
  const calls = mockBackend(signedInHandlers({ job_outputs: () => tree, ...handlers }));
  render(OutputsPanel, { job: JOB, transfers: new Transfers(), place: new DownloadPlace(JOB.account), onAuthExpired: vi.fn() });
  return { calls, user: userEvent.setup() };
}

const tiles = () => screen.getAllByTestId("gallery-tile");
const tile = (path: string) => tiles().find((element) => element.dataset.path === path)!;
const selectedPaths = () => tiles().filter((element) => element.dataset.selected === "true").map((element) => element.dataset.path);

describe("view switch", () => {
  it("switches between list and gallery and remembers the choice", async () => {
    localStorage.setItem("jobfetch.outputsView", "list");
    const { user } = renderPanel();
    expect(await screen.findByTestId("output-tree")).toBeInTheDocument();
    expect(screen.getByTestId("view-list")).toHaveAttribute("aria-pressed", "true");

    await user.click(screen.getByTestId("view-gallery"));
    expect(screen.getByTestId("gallery")).toBeInTheDocument();
    expect(screen.queryByTestId("output-tree")).not.toBeInTheDocument();
    expect(screen.getByTestId("view-gallery")).toHaveAttribute("aria-pressed", "true");
    expect(localStorage.getItem("jobfetch.outputsView")).toBe("gallery");
  });

  it("shares one selection between the tree and the grid", async () => {
    localStorage.setItem("jobfetch.outputsView", "list");
    const { user } = renderPanel();
    await screen.findByTestId("output-tree");
    await user.click(screen.getAllByTestId("tree-checkbox").find((box) => box.dataset.path === CSV)!);
    expect(screen.getByTestId("selection-summary")).toHaveTextContent("1 file selected · 1.2 KiB");

    await user.click(screen.getByTestId("view-gallery"));
    expect(selectedPaths()).toEqual([CSV]);
    fireEvent.pointerDown(tile(R), { button: 0, ctrlKey: true });
    expect(selectedPaths()).toEqual([R, CSV]);
    expect(screen.getByTestId("selection-summary")).toHaveTextContent("2 files selected");

    await user.click(screen.getByTestId("view-list"));
    await user.click(screen.getByTestId("tree-folder"));
    const ticked = screen.getAllByTestId("tree-checkbox").filter((box) => (box as HTMLInputElement).checked);
    expect(ticked.map((box) => box.dataset.path)).toEqual([R, CSV]);
  });
});

describe("the tree", () => {
  it("marks the files already on disk, as the gallery does", async () => {
    localStorage.setItem("jobfetch.outputsView", "list");
    const { user } = renderPanel(TREE, { downloaded_outputs: () => [G, CSV] });
    await screen.findByTestId("output-tree");
    await user.click(screen.getByTestId("tree-folder"));
    const row = (path: string) => screen.getAllByTestId("tree-file").find((file) => file.dataset.path === path)!;
    await vi.waitFor(() => expect(within(row(G)).getByTestId("tree-downloaded")).toBeInTheDocument());
    expect(within(row(CSV)).getByTestId("tree-downloaded")).toHaveAttribute("title", "Downloaded: already on disk");
    expect(within(row(R)).queryByTestId("tree-downloaded")).not.toBeInTheDocument();
  });
});

describe("folders an archive names otherwise", () => {
  const titled: OutputNode = { ...TREE, children: [{ ...TREE.children[0], title: "Pléiades Display (Clipped)" }, TREE.children[1]] };

  it("shows the archive's name in the tree, with the folder's name on disk beside it", async () => {
    localStorage.setItem("jobfetch.outputsView", "list");
    renderPanel(titled);
    const folderRow = await screen.findByTestId("tree-folder");
    expect(folderRow).toHaveTextContent(/Pléiades Display \(Clipped\)\s*DES0226-1541/);
    expect(within(folderRow).getByTestId("tree-disk-name")).toHaveTextContent("DES0226-1541");
  });

  it("heads the folder's group in the gallery with it", async () => {
    renderPanel(titled);
    await screen.findByTestId("gallery");
    const [group] = screen.getAllByTestId("gallery-group");
    expect(group.dataset.folder).toBe("DES0226-1541");
    expect(group).toHaveTextContent(/Pléiades Display \(Clipped\)\s*DES0226-1541\s*3 files/);
  });
});

describe("gallery tiles", () => {
  it("groups tiles by folder, asks thumbnails only for pictures, and shows them when they arrive", async () => {
    renderPanel(TREE, { downloaded_outputs: () => [G] });
    await screen.findByTestId("gallery");

    expect(screen.getAllByTestId("gallery-group").map((group) => [group.dataset.folder, group.textContent?.trim()])).toEqual([
      ["DES0226-1541", expect.stringMatching(/DES0226-1541\s*3 files · 4\.1 MiB/)],
      ["", expect.stringMatching(/Top folder\s*3 files/)],
    ]);
    expect(tiles().map((element) => element.dataset.state)).toEqual(["loading", "loading", "loading", "icon", "icon", "icon"]);
    expect(thumbs.requests).toHaveLength(3);
    expect(tile(CSV)).toHaveTextContent("CSV");

    const request = thumbs.find(G)!;
    expect(request.url).toMatch(
      /^thumb:\/\/localhost\/desaccess%3Ademo%40127\.0\.0\.1%3A40123%2Fdesaccess%2Fapi\/c39008aa52f54b9e94335b566743af0c\/DES0226-1541\/.*_g\.fits\?size=256&stretch=linear&limits=zscale&ticket=/,
    );
    request.answer(thumbs.png());
    await vi.waitFor(() => expect(tile(G).dataset.state).toBe("image"));
    expect(within(tile(G)).getByTestId("tile-image")).toHaveAttribute("src", expect.stringMatching(/^blob:/));
    await vi.waitFor(() => expect(within(tile(G)).getByTestId("tile-downloaded")).toBeInTheDocument());
    expect(within(tile(R)).queryByTestId("tile-downloaded")).not.toBeInTheDocument();
  });

  it("marks files downloaded once a download of this job finishes", async () => {
    const feed = new TransferFeed([batch({ state: "running" })]);
    let onDisk: string[] = [];
    const calls = mockBackend(signedInHandlers({ watch_transfers: feed.subscribe, downloaded_outputs: () => onDisk }));
    const transfers = new Transfers();
    transfers.start();
    render(OutputsPanel, { job: JOB, transfers, place: new DownloadPlace(JOB.account), onAuthExpired: vi.fn() });
    await screen.findByTestId("gallery");
    await vi.waitFor(() => expect(calls.filter((call) => call.cmd === "downloaded_outputs")).toHaveLength(1));

    onDisk = [R];
    feed.send([batch({ id: 2, root: "/elsewhere/another-job", state: "done" }), batch({ state: "running" })]);
    feed.send([batch({ state: "done" })]);
    await vi.waitFor(() => expect(within(tile(R)).getByTestId("tile-downloaded")).toBeInTheDocument());
    expect(calls.filter((call) => call.cmd === "downloaded_outputs")).toHaveLength(2);
    expect(within(tile(G)).queryByTestId("tile-downloaded")).not.toBeInTheDocument();
  });

  it("explains a file with no preview, and offers Retry after a failure", async () => {
    renderPanel();
    await screen.findByTestId("gallery");
    // As the engine words it (preview::no_preview): the reason already says "No preview".
    const noPreview = { code: "noPreview", message: "No preview: the file holds tables but no image.", retryable: false };
    thumbs.find(G)!.answer(new Response(JSON.stringify(noPreview), { status: 422 }));
    thumbs.find(R)!.answer(new Response(JSON.stringify({ code: "disk", message: "Cache unreadable.", retryable: true }), { status: 500 }));
    thumbs.find(STIFF)!.answer(new Response(null, { status: 204 }));

    await vi.waitFor(() => expect(tile(G).dataset.state).toBe("nopreview"));
    expect(tile(G)).toHaveTextContent("No preview: the file holds tables but no image.");
    expect(tile(G)).not.toHaveTextContent("No preview: No preview");
    await vi.waitFor(() => expect(tile(R).dataset.state).toBe("error"));
    expect(tile(R)).toHaveTextContent("Cache unreadable.");
    await vi.waitFor(() => expect(tile(STIFF).dataset.state).toBe("nopreview"));
    expect(tile(STIFF)).toHaveTextContent("only its header was read");

    fireEvent.click(within(tile(R)).getByRole("button", { name: "Retry" }));
    await vi.waitFor(() => expect(tile(R).dataset.state).toBe("loading"));
    expect(thumbs.requests.filter((request) => request.url.includes("_r.fits"))).toHaveLength(2);
  });

  it("renders a window of a 10,000-file job, loads at most 12 at once, and cancels tiles scrolled away", async () => {
    const big = folder(
      "",
      Array.from({ length: 100 }, (_, t) =>
        folder(
          `T${t}`,
          Array.from({ length: 100 }, (_, i) => file(`T${t}/obj${i}_g.fits`, 1000, { kind: "fits", band: "g" })),
        ),
      ),
    );
    const { calls } = renderPanel(big);
    const gallery = await screen.findByTestId("gallery");

    const first = tiles();
    expect(first.length).toBeGreaterThan(10);
    expect(first.length).toBeLessThan(60);
    expect(thumbs.requests).toHaveLength(12);

    gallery.scrollTop = 200_000;
    await fireEvent.scroll(gallery);
    await vi.waitFor(() => expect(calls.some((call) => call.cmd === "cancel_previews")).toBe(true));
    const cancelled = calls.filter((call) => call.cmd === "cancel_previews").flatMap((call) => call.args.tickets as string[]);
    const firstTickets = thumbs.requests.slice(0, 12).map((request) => new URL(request.url).searchParams.get("ticket"));
    expect(cancelled).toEqual(firstTickets);
    expect(calls.filter((call) => call.cmd === "cancel_previews")).toHaveLength(1);

    const now = tiles();
    expect(now.length).toBeLessThan(60);
    expect(now.map((element) => element.dataset.path)).not.toContain(first[0].dataset.path);
    // The freed slots go to the tiles now in view.
    await vi.waitFor(() => expect(thumbs.requests).toHaveLength(24));
    expect(now.map((element) => element.dataset.path)).toContain(decodeURIComponent(new URL(thumbs.requests[23].url).pathname).split("/").slice(-2).join("/"));
  });
});

describe("gallery selection", () => {
  it("selects one on click, a range with Shift, toggles with Ctrl, all with Ctrl-A, none with Escape", async () => {
    renderPanel();
    await screen.findByTestId("gallery");

    fireEvent.pointerDown(tile(G), { button: 0 });
    expect(selectedPaths()).toEqual([G]);
    fireEvent.pointerDown(tile(CSV), { button: 0, shiftKey: true });
    expect(selectedPaths()).toEqual([G, R, STIFF, CSV]);
    fireEvent.pointerDown(tile(R), { button: 0, ctrlKey: true });
    expect(selectedPaths()).toEqual([G, STIFF, CSV]);
    fireEvent.pointerDown(tile(STIFF), { button: 0 });
    expect(selectedPaths()).toEqual([STIFF]);

    const gallery = screen.getByTestId("gallery");
    fireEvent.keyDown(gallery, { key: "a", ctrlKey: true });
    expect(selectedPaths()).toHaveLength(6);
    expect(screen.getByTestId("selection-summary")).toHaveTextContent("6 files selected · 4.1 MiB");
    fireEvent.keyDown(gallery, { key: "Escape" });
    expect(selectedPaths()).toEqual([]);
  });

  it("moves the focus with the arrow keys and toggles the focused tile with Space", async () => {
    renderPanel();
    const gallery = await screen.findByTestId("gallery");
    fireEvent.pointerDown(tile(G), { button: 0 });
    fireEvent.keyDown(gallery, { key: "ArrowRight" });
    fireEvent.keyDown(gallery, { key: "ArrowRight" });
    expect(gallery).toHaveAttribute("aria-activedescendant", tile(STIFF).id);
    fireEvent.keyDown(gallery, { key: " " });
    expect(selectedPaths()).toEqual([G, STIFF]);
    fireEvent.keyDown(gallery, { key: "ArrowDown" });
    expect(gallery).toHaveAttribute("aria-activedescendant", tile(TREE.children[3].path).id);
  });

  it("selects every tile a dragged rectangle touches, adding to the selection with Ctrl", async () => {
    renderPanel();
    const gallery = await screen.findByTestId("gallery");
    fireEvent.pointerDown(tile(CSV), { button: 0 });

    // Tiles are 184 px wide at 1000 px (5 columns); the first row starts below the 16 px padding and 44 px header.
    const canvas = gallery.querySelector(".canvas")!;
    fireEvent.pointerDown(canvas, { button: 0, clientX: 100, clientY: 20, pointerId: 1 });
    expect(selectedPaths()).toEqual([]);
    fireEvent.pointerMove(gallery, { clientX: 250, clientY: 100, pointerId: 1 });
    expect(screen.getByTestId("drag-rect")).toBeInTheDocument();
    expect(selectedPaths()).toEqual([G, R]);
    fireEvent.pointerUp(gallery, { pointerId: 1 });
    expect(screen.queryByTestId("drag-rect")).not.toBeInTheDocument();

    fireEvent.pointerDown(canvas, { button: 0, clientX: 990, clientY: 20, ctrlKey: true, pointerId: 2 });
    fireEvent.pointerMove(gallery, { clientX: 980, clientY: 10_000, pointerId: 2 });
    fireEvent.pointerUp(gallery, { pointerId: 2 });
    expect(selectedPaths()).toEqual([G, R]);
    // Down the third column: the STIFF picture in the first folder and the summary in the job folder.
    fireEvent.pointerDown(canvas, { button: 0, clientX: 420, clientY: 20, ctrlKey: true, pointerId: 3 });
    fireEvent.pointerMove(gallery, { clientX: 420, clientY: 400, pointerId: 3 });
    fireEvent.pointerUp(gallery, { pointerId: 3 });
    expect(selectedPaths()).toEqual([G, R, STIFF, TREE.children[3].path]);
  });

  it("selects by kind, only offering kinds present, and the focused object's files", async () => {
    const tree = folder("", [
      folder("T", [
        file(`T/a_g.fits`, 10, { kind: "fits", band: "g" }),
        file(`T/a_r.fits`, 10, { kind: "fits", band: "r" }),
        file(`T/a_gri_stiff.png`, 10, { kind: "stiffPng", colors: "gri" }),
        file(`T/a_gri_lupton.png`, 10, { kind: "luptonPng", colors: "gri" }),
        file(`T/b_g.fits`, 10, { kind: "fits", band: "g" }),
        file(`T/b_gri_stiff.png`, 10, { kind: "stiffPng", colors: "gri" }),
      ]),
      file("cat.csv", 10, { kind: "csv" }),
    ]);
    const { user } = renderPanel(tree);
    await screen.findByTestId("gallery");

    await user.click(screen.getByTestId("select-by-kind"));
    const options = screen.getAllByTestId("select-kind-option");
    expect(options.map((option) => option.textContent?.replace(/\s+/g, " ").trim())).toEqual([
      "g-band FITS 2",
      "r-band FITS 1",
      "STIFF PNGs 2",
      "Lupton PNGs 1",
      "Catalogues (CSV) 1",
    ]);
    await user.click(options[0]);
    expect(selectedPaths()).toEqual(["T/a_g.fits", "T/b_g.fits"]);
    expect(screen.queryByTestId("select-kind-option")).not.toBeInTheDocument();

    fireEvent.pointerDown(tile("T/a_gri_lupton.png"), { button: 0 });
    await user.click(screen.getByTestId("select-object"));
    expect(selectedPaths()).toEqual(["T/a_g.fits", "T/a_r.fits", "T/a_gri_stiff.png", "T/a_gri_lupton.png"]);
  });
});

describe("preview pane", () => {
  it("opens on Enter with the header cards, steps with the arrows, reloads on a new stretch, closes on Escape", async () => {
    const { calls, user } = renderPanel();
    const gallery = await screen.findByTestId("gallery");
    fireEvent.pointerDown(tile(G), { button: 0 });
    fireEvent.keyDown(gallery, { key: "Enter" });

    const pane = screen.getByTestId("preview-pane");
    expect(pane).toHaveAttribute("data-path", G);
    const large = () => thumbs.requests.filter((request) => request.url.includes("size=1024"));
    expect(large().at(-1)?.url).toMatch(/_g\.fits\?size=1024&stretch=linear&limits=zscale/);
    large().at(-1)!.answer(thumbs.png());
    expect(await within(pane).findByTestId("preview-image")).toBeInTheDocument();

    const cards = await within(pane).findByTestId("header-cards");
    expect(within(cards).getAllByRole("row").map((row) => row.textContent)).toEqual([
      "KeyValueComment",
      "SIMPLETconforms to FITS standard",
      "BAND'r'",
      "EXPTIME90.0exposure time (s)",
    ]);
    expect(pane).toHaveTextContent(/BITPIX\s*-32/);
    expect(pane).toHaveTextContent(/Compression\s*RICE_1/);
    expect(pane).toHaveTextContent(/Image size\s*200 × 200 px/);
    expect(calls.find((call) => call.cmd === "preview_details")?.args).toEqual({
      account: JOB.account,
      jobId: JOB.id,
      path: G,
      options: { size: 1024, stretch: "linear", limits: { kind: "zscale" } },
    });

    await user.selectOptions(within(pane).getByTestId("stretch-select"), "asinh");
    await user.selectOptions(within(pane).getByTestId("limits-select"), "99.5");
    expect(large().at(-1)?.url).toMatch(/_g\.fits\?size=1024&stretch=asinh&limits=99\.5&/);
    expect(calls.filter((call) => call.cmd === "preview_details").at(-1)?.args.options).toEqual({
      size: 1024,
      stretch: "asinh",
      limits: { kind: "percentile", percent: 99.5 },
    });

    const toggle = within(pane).getByTestId("preview-select");
    expect(toggle).toHaveTextContent("Deselect");
    await user.click(toggle);
    expect(tile(G).dataset.selected).toBe("false");
    expect(toggle).toHaveTextContent("Select");

    fireEvent.keyDown(pane, { key: "ArrowRight" });
    expect(screen.getByTestId("preview-pane")).toHaveAttribute("data-path", R);
    await user.click(screen.getByTestId("preview-prev"));
    expect(screen.getByTestId("preview-pane")).toHaveAttribute("data-path", G);
    await user.click(screen.getByTestId("preview-next"));
    await user.click(screen.getByTestId("preview-next"));
    await user.click(screen.getByTestId("preview-next"));
    const csvPane = screen.getByTestId("preview-pane");
    expect(csvPane).toHaveAttribute("data-path", CSV);
    expect(within(csvPane).getByTestId("preview-none")).toHaveTextContent("CSV files have no picture.");
    expect(within(csvPane).queryByTestId("stretch-select")).not.toBeInTheDocument();

    fireEvent.keyDown(csvPane, { key: "Escape" });
    expect(screen.queryByTestId("preview-pane")).not.toBeInTheDocument();
  });

  it("opens on a double click and closes with its button", async () => {
    const { user } = renderPanel();
    await screen.findByTestId("gallery");
    await user.dblClick(tile(STIFF));
    expect(screen.getByTestId("preview-pane")).toHaveAttribute("data-path", STIFF);
    expect(screen.queryByTestId("stretch-select")).not.toBeInTheDocument();
    await user.click(screen.getByTestId("preview-close"));
    expect(screen.queryByTestId("preview-pane")).not.toBeInTheDocument();
  });
});
