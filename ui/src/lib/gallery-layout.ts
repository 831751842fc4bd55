// The gallery's geometry as plain numbers: folder groups, header and tile rows, which rows a viewport shows, what a rectangle touches.
import type { OutputNode } from "./bindings/OutputNode";

/**
 * The files below one top-level folder of the job (a DES tile, whatever the layout below it), in display order;
 * `first` is the index of its first file among all files.
 */
export interface GalleryGroup {
  /** The top-level folder's name, "" for the files in the job folder itself. */
  folder: string;
  files: OutputNode[];
  bytes: number;
  first: number;
}

export interface Metrics {
  /** The smallest tile width; tiles stretch to fill the row. */
  minTile: number;
  /** The height of the caption under a tile's square picture. */
  caption: number;
  gap: number;
  /** Space around the grid. */
  padding: number;
  /** The height of a folder's header row. */
  header: number;
}

export const METRICS: Metrics = { minTile: 168, caption: 50, gap: 12, padding: 16, header: 44 };

/** A header row names a group; a tile row holds `count` files from `first` on. `height` includes the gap below. */
export type Row =
  | { kind: "header"; group: number; top: number; height: number }
  | { kind: "tiles"; group: number; top: number; height: number; first: number; count: number };

export interface Layout {
  rows: Row[];
  /** Each group's header row index. */
  headers: number[];
  /** The indices of the tile rows, in order. */
  tileRows: number[];
  columns: number;
  /** A tile's width (its picture is square) and height (picture and caption). */
  tileWidth: number;
  tileHeight: number;
  /** The whole grid's height. */
  height: number;
  metrics: Metrics;
}

export interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** The folder a file is in: its path up to the last `/`, "" at the top of the job. */
export function parentFolder(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "" : path.slice(0, slash);
}

/** The job's top-level folder a file is in, "" for a file of the job folder itself. */
export function topFolder(path: string): string {
  const slash = path.indexOf("/");
  return slash < 0 ? "" : path.slice(0, slash);
}

/** Splits files in display order into runs of the same top-level folder (a per-position layout's subfolders stay in their tile's group). */
export function groupByFolder(files: readonly OutputNode[]): GalleryGroup[] {
  const groups: GalleryGroup[] = [];
  files.forEach((file, index) => {
    const folder = topFolder(file.path);
    let group = groups.at(-1);
    if (!group || group.folder !== folder) {
      group = { folder, files: [], bytes: 0, first: index };
      groups.push(group);
    }
    group.files.push(file);
    group.bytes += file.size ?? 0;
  });
  return groups;
}

/** Lays out `groups` in a grid `width` pixels wide: as many columns of at least `minTile` as fit. */
export function layoutGallery(groups: readonly GalleryGroup[], width: number, metrics: Metrics = METRICS): Layout {
  const { minTile, caption, gap, padding, header } = metrics;
  const inner = Math.max(width - 2 * padding, minTile);
  const columns = Math.max(1, Math.floor((inner + gap) / (minTile + gap)));
  const tileWidth = (inner - (columns - 1) * gap) / columns;
  const tileHeight = tileWidth + caption;
  const rows: Row[] = [];
  const headers: number[] = [];
  const tileRows: number[] = [];
  let top = padding;
  groups.forEach((group, index) => {
    headers.push(rows.length);
    rows.push({ kind: "header", group: index, top, height: header });
    top += header;
    for (let start = 0; start < group.files.length; start += columns) {
      const count = Math.min(columns, group.files.length - start);
      tileRows.push(rows.length);
      rows.push({ kind: "tiles", group: index, top, height: tileHeight + gap, first: group.first + start, count });
      top += tileHeight + gap;
    }
  });
  return { rows, headers, tileRows, columns, tileWidth, tileHeight, height: top + padding - gap, metrics };
}

/** The index of the first row that ends below `y` (rows.length when none does). */
function rowBelow(layout: Layout, y: number): number {
  let low = 0;
  let high = layout.rows.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    const row = layout.rows[middle];
    if (row.top + row.height <= y) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The rows `[start, end)` that show between `top` and `top + height`, with `overscan` pixels more each way. */
export function visibleRows(layout: Layout, top: number, height: number, overscan = 0): { start: number; end: number } {
  const start = rowBelow(layout, top - overscan);
  let end = start;
  while (end < layout.rows.length && layout.rows[end].top < top + height + overscan) end += 1;
  return { start, end };
}

/** The row holding file `index` and its column. */
export function tilePlace(layout: Layout, index: number): { row: number; column: number } {
  const { tileRows, rows } = layout;
  let low = 0;
  let high = tileRows.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (firstFile(rows[tileRows[middle]]) <= index) low = middle;
    else high = middle - 1;
  }
  const row = tileRows[low];
  return { row, column: index - firstFile(rows[row]) };
}

function firstFile(row: Row): number {
  return row.kind === "tiles" ? row.first : 0;
}

/** Where file `index` is drawn, in grid coordinates. */
export function tileBox(layout: Layout, index: number): Box {
  const { row, column } = tilePlace(layout, index);
  const { padding, gap } = layout.metrics;
  const left = padding + column * (layout.tileWidth + gap);
  const top = layout.rows[row].top;
  return { left, top, right: left + layout.tileWidth, bottom: top + layout.tileHeight };
}

/** The indices of the files whose tiles `box` touches, in display order. */
export function tilesInBox(layout: Layout, box: Box): number[] {
  const { padding, gap } = layout.metrics;
  const pitch = layout.tileWidth + gap;
  const firstColumn = Math.max(0, Math.floor((box.left - padding - layout.tileWidth) / pitch) + 1);
  const lastColumn = Math.ceil((box.right - padding) / pitch) - 1;
  const hits: number[] = [];
  for (let index = rowBelow(layout, box.top); index < layout.rows.length; index += 1) {
    const row = layout.rows[index];
    if (row.top >= box.bottom) break;
    if (row.kind !== "tiles" || row.top + layout.tileHeight <= box.top) continue;
    for (let column = firstColumn; column <= Math.min(lastColumn, row.count - 1); column += 1) hits.push(row.first + column);
  }
  return hits;
}

/**
 * The header pinned at the top when the grid is scrolled to `top`: the group there, and how far the next group's
 * header pushes it up (0 or less).
 */
export function pinnedHeader(layout: Layout, top: number): { group: number; offset: number } | null {
  const row = layout.rows[Math.min(rowBelow(layout, top), layout.rows.length - 1)];
  // While the group's own header is in view, no copy is pinned over it.
  if (!row || layout.rows[layout.headers[row.group]].top >= top) return null;
  const next = layout.rows[layout.headers[row.group + 1]];
  const offset = next ? Math.min(0, next.top - top - layout.metrics.header) : 0;
  return { group: row.group, offset };
}

export type Direction = "left" | "right" | "up" | "down";

/** The file an arrow key moves the focus to from file `index`: along the display order, or to the same column a row up or down. */
export function step(layout: Layout, index: number, direction: Direction, total: number): number {
  if (direction === "left") return Math.max(index - 1, 0);
  if (direction === "right") return Math.min(index + 1, total - 1);
  const { row, column } = tilePlace(layout, index);
  const delta = direction === "up" ? -1 : 1;
  for (let next = row + delta; next >= 0 && next < layout.rows.length; next += delta) {
    const target = layout.rows[next];
    if (target.kind === "tiles") return target.first + Math.min(column, target.count - 1);
  }
  return index;
}
