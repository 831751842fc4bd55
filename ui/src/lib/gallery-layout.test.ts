// Tests for the gallery's geometry: groups, rows and columns, the rows a viewport shows, rectangle hits and arrow-key steps.
import { describe, expect, it } from "vitest";
import type { OutputNode } from "./bindings/OutputNode";
import {
  METRICS,
  groupByFolder,
  layoutGallery,
  parentFolder,
  topFolder,
  pinnedHeader,
  step,
  tileBox,
  tilePlace,
  tilesInBox,
  visibleRows,
} from "./gallery-layout";

const fits = (path: string): OutputNode => ({
  kind: "fits",
  band: "g",
  name: path.split("/").pop() ?? path,
  path,
  size: 100,
  modified: null,
  fileCount: 1,
  children: [],
});

/** Two folders of 5 and 3 files, then 2 files at the top of the job. */
const FILES = [
  ...Array.from({ length: 5 }, (_, i) => fits(`A/a${i}.fits`)),
  ...Array.from({ length: 3 }, (_, i) => fits(`B/b${i}.fits`)),
  fits("top0.fits"),
  fits("top1.fits"),
];
/** Room for exactly 3 columns of 168 px with 12 px gaps and 16 px padding. */
const WIDTH = 3 * 168 + 2 * 12 + 2 * 16;
const TILE = 168 + METRICS.caption;

describe("gallery layout", () => {
  it("groups files by folder, the job's top level included", () => {
    expect(parentFolder("A/B/c.fits")).toBe("A/B");
    expect(parentFolder("c.fits")).toBe("");
    expect(topFolder("A/B/c.fits")).toBe("A");
    expect(topFolder("c.fits")).toBe("");
    const groups = groupByFolder(FILES);
    expect(groups.map((group) => [group.folder, group.files.length, group.first, group.bytes])).toEqual([
      ["A", 5, 0, 500],
      ["B", 3, 5, 300],
      ["", 2, 8, 200],
    ]);
    const perPosition = groupByFolder([fits("T/p1/a.fits"), fits("T/p2/b.fits"), fits("c.fits")]);
    expect(perPosition.map((group) => [group.folder, group.files.length])).toEqual([
      ["T", 2],
      ["", 1],
    ]);
  });

  it("puts a header before each group and fills rows up to the column count", () => {
    const layout = layoutGallery(groupByFolder(FILES), WIDTH);
    expect(layout.columns).toBe(3);
    expect(layout.tileWidth).toBe(168);
    expect(layout.rows.map((row) => (row.kind === "header" ? `h${row.group}` : `${row.first}+${row.count}`))).toEqual([
      "h0",
      "0+3",
      "3+2",
      "h1",
      "5+3",
      "h2",
      "8+2",
    ]);
    expect(layout.rows[1].top).toBe(METRICS.padding + METRICS.header);
    expect(layout.rows[2].top).toBe(METRICS.padding + METRICS.header + TILE + METRICS.gap);
    expect(layout.height).toBe(2 * METRICS.padding + 3 * METRICS.header + 4 * TILE + 3 * METRICS.gap);
  });

  it("stretches tiles to the width and keeps at least one column", () => {
    expect(layoutGallery(groupByFolder(FILES), WIDTH + 100).tileWidth).toBeCloseTo(168 + 100 / 3);
    const narrow = layoutGallery(groupByFolder(FILES), 50);
    expect(narrow.columns).toBe(1);
    expect(narrow.rows.filter((row) => row.kind === "tiles")).toHaveLength(FILES.length);
  });

  it("places each file in its row and column", () => {
    const layout = layoutGallery(groupByFolder(FILES), WIDTH);
    expect(tilePlace(layout, 0)).toEqual({ row: 1, column: 0 });
    expect(tilePlace(layout, 4)).toEqual({ row: 2, column: 1 });
    expect(tilePlace(layout, 7)).toEqual({ row: 4, column: 2 });
    expect(tilePlace(layout, 9)).toEqual({ row: 6, column: 1 });
    const box = tileBox(layout, 4);
    expect(box).toEqual({ left: 16 + 180, top: layout.rows[2].top, right: 16 + 180 + 168, bottom: layout.rows[2].top + TILE });
  });

  it("finds the tiles a rectangle touches, across rows and groups, and none in the gaps", () => {
    const layout = layoutGallery(groupByFolder(FILES), WIDTH);
    const a = tileBox(layout, 1);
    const b = tileBox(layout, 6);
    expect(tilesInBox(layout, { left: a.left + 10, top: a.top + 10, right: b.left + 10, bottom: b.top + 10 })).toEqual([1, 4, 6]);
    // A rectangle inside the gap between two columns touches nothing.
    expect(tilesInBox(layout, { left: a.right + 2, top: a.top, right: a.right + 10, bottom: a.bottom })).toEqual([]);
    // Over a header row only.
    const header = layout.rows[3];
    expect(tilesInBox(layout, { left: 0, top: header.top + 2, right: WIDTH, bottom: header.top + 30 })).toEqual([]);
    // The third column of a short row holds no tile.
    const short = tileBox(layout, 3);
    expect(tilesInBox(layout, { left: short.left + 2 * 180, top: short.top, right: WIDTH, bottom: short.bottom })).toEqual([]);
    expect(tilesInBox(layout, { left: 0, top: 0, right: WIDTH, bottom: layout.height })).toHaveLength(FILES.length);
  });

  it("produces only the few rows in view for 10,000 files", () => {
    const many = Array.from({ length: 10_000 }, (_, i) => fits(`T${Math.floor(i / 100)}/f${i}.fits`));
    const layout = layoutGallery(groupByFolder(many), 1000);
    expect(layout.columns).toBe(5);
    expect(layout.rows).toHaveLength(100 * (1 + 20));
    const scroll = layout.height / 2;
    const { start, end } = visibleRows(layout, scroll, 800);
    expect(end - start).toBeGreaterThan(2);
    expect(end - start).toBeLessThan(8);
    expect(layout.rows[start].top).toBeLessThanOrEqual(scroll);
    expect(layout.rows[end - 1].top).toBeLessThan(scroll + 800);
    expect(layout.rows[end].top).toBeGreaterThanOrEqual(scroll + 800);
    const wider = visibleRows(layout, scroll, 800, 400);
    expect(wider.start).toBeLessThan(start);
    expect(wider.end).toBeGreaterThan(end);
    expect(visibleRows(layout, 0, 800).start).toBe(0);
  });

  it("pins the header of the group in view, pushed up by the next one", () => {
    const layout = layoutGallery(groupByFolder(FILES), WIDTH);
    expect(pinnedHeader(layout, 0)).toBeNull();
    expect(pinnedHeader(layout, METRICS.padding + 1)).toEqual({ group: 0, offset: 0 });
    const next = layout.rows[3].top;
    expect(pinnedHeader(layout, next - METRICS.header - 100)).toEqual({ group: 0, offset: 0 });
    expect(pinnedHeader(layout, next - 10)).toEqual({ group: 0, offset: 10 - METRICS.header });
    expect(pinnedHeader(layout, next + 1)).toEqual({ group: 1, offset: expect.any(Number) });
    expect(pinnedHeader(layoutGallery([], WIDTH), 0)).toBeNull();
  });

  it("steps the focus along the order and to the same column in the next tile row", () => {
    const layout = layoutGallery(groupByFolder(FILES), WIDTH);
    expect(step(layout, 0, "left", FILES.length)).toBe(0);
    expect(step(layout, 2, "right", FILES.length)).toBe(3);
    expect(step(layout, 9, "right", FILES.length)).toBe(9);
    expect(step(layout, 2, "down", FILES.length)).toBe(4);
    expect(step(layout, 4, "down", FILES.length)).toBe(6);
    expect(step(layout, 7, "down", FILES.length)).toBe(9);
    expect(step(layout, 9, "down", FILES.length)).toBe(9);
    expect(step(layout, 5, "up", FILES.length)).toBe(3);
    expect(step(layout, 1, "up", FILES.length)).toBe(1);
  });
});
