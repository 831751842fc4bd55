// The footprint map's geometry: scenes' GeoJSON footprints placed across the antimeridian, an equirectangular view fitted to them, and the SVG paths, graticule and scale bar drawn in it.

import type { Footprint } from "./bindings/Footprint";

export type { Footprint };

/** A scene's outline as the backend sends it: GeoJSON, positions as [longitude, latitude] in WGS84 degrees. */
export type Geometry = Footprint["geometry"];

/** A polygon as rings of [longitude, latitude] positions: the outer ring, then its holes. */
export type Rings = number[][][];

/** A box in degrees; `east` may pass 180 (and `west` -180) when the box crosses the antimeridian. */
export interface Bounds {
  west: number;
  east: number;
  south: number;
  north: number;
}

/** An equirectangular view: the point at the centre of a width × height pixel viewport, and how many pixels a degree takes. */
export interface View {
  width: number;
  height: number;
  lon0: number;
  lat0: number;
  /** Pixels per degree of latitude. */
  scale: number;
  /** How much narrower a degree of longitude is drawn: the cosine of the latitude the view was fitted at. */
  squeeze: number;
}

/** A footprint's polygons, shifted by whole turns so that the footprints sit side by side in one view. */
export interface PlacedFootprint {
  footprint: Footprint;
  polygons: Rings[];
}

/** The land under the map: a polygon's rings unwrapped, closed around a pole where they circle one, and its bounds. */
export interface LandPolygon {
  /** The rings to fill, a ring around a pole closed along that pole. */
  fill: Rings;
  /** The rings as the coastline runs, without the closing edges along a pole. */
  coast: Rings;
  bounds: Bounds;
}

/** How a view is fitted: pixels kept clear at the edges, context around the footprints, and the smallest area shown. */
export const FIT = {
  padding: 24,
  /** The share of the footprints' extent added as context on each side. */
  margin: 0.15,
  /** The least the view spans, in degrees of latitude (about 9 km): an area-of-interest clip of a couple
   * of kilometres shows its surroundings without shrinking to a dot. */
  minExtent: 0.08,
};

/** The least and most a view may be zoomed, in pixels per degree. */
export const ZOOM_LIMITS = { min: 0.5, max: 50_000 };

const KM_PER_DEGREE = 111.32;
/** Latitudes beyond which the cosine squeeze is held, so a polar scene does not stretch without end. */
const SQUEEZE_LATITUDE = 85;
/** The pixels the basemap is clipped beyond the viewport, so clipped edges and strokes never show. */
const CLIP_MARGIN = 16;
/** Degrees between graticule lines are one of these times a power of ten, and so are a scale bar's kilometres. */
const NICE = [1, 2, 2.5, 5, 10];
const DISTANCE_STEPS = [1, 2, 5, 10];
/** Steps between graticule lines wider than 10°: divisions of the circle read better than 20° or 50°. */
const WIDE_GRID_STEPS = [15, 30, 45, 90];
/** The least room between two graticule lines, and the least length of the scale bar, in pixels. */
const GRID_SPACING = 90;
const SCALE_BAR_LENGTH = 60;
/** The room a footprint's label needs: its gap from the outline, a line's height, and half a short label's width. */
const LABEL_ROOM = { gap: 8, line: 14, side: 60 };

/** A point in the viewport, in pixels from its top-left corner. */
export type Point = [number, number];

/** A rectangle in the viewport, in pixels. */
export interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** Meridians and parallels of the graticule: where each crosses the viewport and its label. */
export interface GridLine {
  at: number;
  label: string;
}

/** Moves every longitude of a ring by whole turns so that no step between neighbours exceeds 180°. */
export function unwrapRing(ring: number[][]): number[][] {
  const unwrapped: number[][] = [];
  for (const [lon, lat] of ring) {
    const previous = unwrapped.at(-1);
    unwrapped.push([previous ? lon + 360 * Math.round((previous[0] - lon) / 360) : lon, lat]);
  }
  return unwrapped;
}

function shiftRing(ring: number[][], shift: number): number[][] {
  return shift === 0 ? ring : ring.map(([lon, lat]) => [lon + shift, lat]);
}

function shiftPolygon(rings: Rings, shift: number): Rings {
  return shift === 0 ? rings : rings.map((ring) => shiftRing(ring, shift));
}

/** A polygon's rings unwrapped, each hole moved by whole turns next to its outer ring. */
function unwrapPolygon(rings: Rings): Rings {
  const [outer, ...holes] = rings.map(unwrapRing);
  return [outer, ...holes.map((hole) => shiftRing(hole, 360 * Math.round((outer[0][0] - hole[0][0]) / 360)))];
}

/** A geometry's polygons, unwrapped; rings too short to enclose anything are left out. */
export function polygonsOf(geometry: Geometry): Rings[] {
  const polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
  return polygons.map((rings) => rings.filter((ring) => ring.length >= 3)).filter((rings) => rings.length > 0).map(unwrapPolygon);
}

/** The bounds of rings. */
function boundsOf(rings: Rings): Bounds {
  const bounds = { west: Infinity, east: -Infinity, south: Infinity, north: -Infinity };
  for (const ring of rings) {
    for (const [lon, lat] of ring) {
      bounds.west = Math.min(bounds.west, lon);
      bounds.east = Math.max(bounds.east, lon);
      bounds.south = Math.min(bounds.south, lat);
      bounds.north = Math.max(bounds.north, lat);
    }
  }
  return bounds;
}

/** A longitude moved by whole turns into [-180°, 180°). */
function wrapLongitude(lon: number): number {
  return lon - 360 * Math.floor((lon + 180) / 360);
}

/** The whole turns that move a longitude to `start` or less than a turn east of it. */
function turnsEastOf(start: number, lon: number): number {
  return 360 * Math.ceil((start - lon) / 360);
}

/**
 * The footprints that have a geometry, moved by whole turns into the narrowest band of longitudes that
 * holds them all (so scenes on both sides of the antimeridian sit together), and that band's bounds.
 */
export function placeFootprints(footprints: Footprint[]): { placed: PlacedFootprint[]; bounds: Bounds | null } {
  const unwrapped = footprints
    .map((footprint) => ({ footprint, polygons: polygonsOf(footprint.geometry).map((rings) => ({ rings, extent: boundsOf(rings) })) }))
    .filter(({ polygons }) => polygons.length > 0);
  const extents = unwrapped.flatMap(({ polygons }) => polygons.map(({ extent }) => extent));
  if (extents.length === 0) return { placed: [], bounds: null };

  // The narrowest band starts at some polygon's west edge: try each.
  let start = 0;
  let east = Infinity;
  for (const extent of extents) {
    const candidate = wrapLongitude(extent.west);
    const reach = Math.max(...extents.map((other) => other.east + turnsEastOf(candidate, other.west)));
    if (reach - candidate < east - start) [start, east] = [candidate, reach];
  }

  const placed = unwrapped.map(({ footprint, polygons }) => ({
    footprint,
    polygons: polygons.map(({ rings, extent }) => shiftPolygon(rings, turnsEastOf(start, extent.west))),
  }));
  const south = Math.min(...extents.map((extent) => extent.south));
  const north = Math.max(...extents.map((extent) => extent.north));
  return { placed, bounds: { west: start, east, south, north } };
}

/** The view of a width × height viewport that shows `bounds` with context around it, at least `fit.minExtent` across. */
export function fitView(bounds: Bounds, width: number, height: number, fit = FIT): View {
  const lat0 = (bounds.south + bounds.north) / 2;
  const squeeze = Math.cos((Math.min(Math.max(lat0, -SQUEEZE_LATITUDE), SQUEEZE_LATITUDE) * Math.PI) / 180);
  const context = 1 + 2 * fit.margin;
  const across = Math.max((bounds.east - bounds.west) * squeeze * context, fit.minExtent);
  const down = Math.max((bounds.north - bounds.south) * context, fit.minExtent);
  const scale = Math.min(Math.max(width - 2 * fit.padding, 1) / across, Math.max(height - 2 * fit.padding, 1) / down);
  return {
    width,
    height,
    lon0: (bounds.west + bounds.east) / 2,
    lat0,
    scale: Math.min(Math.max(scale, ZOOM_LIMITS.min), ZOOM_LIMITS.max),
    squeeze,
  };
}

export function project(view: View, lon: number, lat: number): Point {
  return [view.width / 2 + (lon - view.lon0) * view.squeeze * view.scale, view.height / 2 - (lat - view.lat0) * view.scale];
}

export function unproject(view: View, x: number, y: number): [lon: number, lat: number] {
  return [view.lon0 + (x - view.width / 2) / (view.squeeze * view.scale), view.lat0 - (y - view.height / 2) / view.scale];
}

/** The longitudes and latitudes the viewport shows. */
export function visibleBounds(view: View): Bounds {
  const [west, north] = unproject(view, 0, 0);
  const [east, south] = unproject(view, view.width, view.height);
  return { west, east, south, north };
}

/** The view zoomed by `factor` (within the zoom limits), keeping the point under pixel (x, y) where it is. */
export function zoomAt(view: View, x: number, y: number, factor: number): View {
  const [lon, lat] = unproject(view, x, y);
  const scale = Math.min(Math.max(view.scale * factor, ZOOM_LIMITS.min), ZOOM_LIMITS.max);
  return {
    ...view,
    scale,
    lon0: lon - (x - view.width / 2) / (view.squeeze * scale),
    lat0: lat + (y - view.height / 2) / scale,
  };
}

/** The view dragged by (dx, dy) pixels: the map follows the pointer; its centre stays between the poles. */
export function panBy(view: View, dx: number, dy: number): View {
  const lat0 = view.lat0 + dy / view.scale;
  return { ...view, lon0: view.lon0 - dx / (view.squeeze * view.scale), lat0: Math.min(Math.max(lat0, -90), 90) };
}

const pixel = (value: number) => Math.round(value * 10) / 10;

function projectRing(view: View, ring: number[][], shift: number): Point[] {
  return ring.map(([lon, lat]) => project(view, lon + shift, lat));
}

/** A closed SVG subpath through the points; nothing for fewer than three. */
function ringPath(points: Point[]): string {
  if (points.length < 3) return "";
  return `M${points.map(([x, y]) => `${pixel(x)} ${pixel(y)}`).join("L")}Z`;
}

/** The SVG path of polygons, holes and parts as further subpaths: draw it with fill-rule evenodd. */
export function polygonPath(view: View, polygons: Rings[]): string {
  return polygons
    .flat()
    .map((ring) => ringPath(projectRing(view, ring, 0)))
    .join("");
}

/** A ring clipped to a box (Sutherland–Hodgman): the part inside, closed along the box's edges. */
export function clipRing(points: Point[], box: Box): Point[] {
  const edges: { axis: 0 | 1; limit: number; below: boolean }[] = [
    { axis: 0, limit: box.left, below: false },
    { axis: 0, limit: box.right, below: true },
    { axis: 1, limit: box.top, below: false },
    { axis: 1, limit: box.bottom, below: true },
  ];
  let clipped = points;
  for (const { axis, limit, below } of edges) {
    const inside = (point: Point) => (below ? point[axis] <= limit : point[axis] >= limit);
    const crossing = (a: Point, b: Point): Point => {
      const t = (limit - a[axis]) / (b[axis] - a[axis]);
      const other = 1 - axis;
      const point: Point = [0, 0];
      point[axis] = limit;
      point[other] = a[other] + t * (b[other] - a[other]);
      return point;
    };
    const input = clipped;
    clipped = [];
    let previous = input.at(-1);
    for (const point of input) {
      if (previous && inside(point) !== inside(previous)) clipped.push(crossing(previous, point));
      if (inside(point)) clipped.push(point);
      previous = point;
    }
  }
  return clipped;
}

/** Natural Earth cuts land at the antimeridian: edges along it are seams, not coast. */
const onSeam = (lon: number) => Math.abs(Math.abs(wrapLongitude(lon)) - 180) < 1e-6;

/** The open SVG path of a ring's coastline: the edges near the box, leaving out seams along the antimeridian. */
function coastPath(view: View, ring: number[][], shift: number, box: Box): string {
  const points = projectRing(view, ring, shift);
  let path = "";
  let drawing = false;
  for (let index = 1; index < points.length; index += 1) {
    const [a, b] = [points[index - 1], points[index]];
    const near =
      Math.max(a[0], b[0]) >= box.left && Math.min(a[0], b[0]) <= box.right && Math.max(a[1], b[1]) >= box.top && Math.min(a[1], b[1]) <= box.bottom;
    if (!near || (onSeam(ring[index - 1][0]) && onSeam(ring[index][0]))) {
      drawing = false;
      continue;
    }
    if (!drawing) path += `M${pixel(a[0])} ${pixel(a[1])}`;
    path += `L${pixel(b[0])} ${pixel(b[1])}`;
    drawing = true;
  }
  return path;
}

/** Land polygons ready to draw: rings unwrapped, a ring that circles a pole (Antarctica) closed along it. */
export function prepareLand(polygons: Rings[]): LandPolygon[] {
  return polygons.map((rings) => {
    const coast = unwrapPolygon(rings);
    const fill = coast.map((ring) => {
      const [first, last] = [ring[0], ring[ring.length - 1]];
      if (Math.abs(last[0] - first[0]) < 180) return ring;
      const pole = ring.reduce((sum, [, lat]) => sum + lat, 0) < 0 ? -90 : 90;
      return [...ring, [last[0], pole], [first[0], pole]];
    });
    return { fill, coast, bounds: boundsOf(fill) };
  });
}

/** The land's fill and coastline as SVG paths, clipped to the viewport (and a little beyond), repeated a turn east or west where the view shows it there. */
export function landPaths(view: View, land: LandPolygon[]): { fill: string; coast: string } {
  const visible = visibleBounds(view);
  const box = { left: -CLIP_MARGIN, top: -CLIP_MARGIN, right: view.width + CLIP_MARGIN, bottom: view.height + CLIP_MARGIN };
  let fill = "";
  let coast = "";
  for (const { fill: fillRings, coast: coastRings, bounds } of land) {
    if (bounds.south > visible.north || bounds.north < visible.south) continue;
    const lastTurn = Math.floor((visible.east - bounds.west) / 360);
    for (let turn = Math.ceil((visible.west - bounds.east) / 360); turn <= lastTurn; turn += 1) {
      fill += fillRings.map((ring) => ringPath(clipRing(projectRing(view, ring, turn * 360), box))).join("");
      coast += coastRings.map((ring) => coastPath(view, ring, turn * 360, box)).join("");
    }
  }
  return { fill, coast };
}

/** The smallest of `steps` (times a power of ten) that is at least `atLeast`. */
export function niceStep(atLeast: number, steps = NICE): number {
  const power = 10 ** Math.floor(Math.log10(atLeast));
  const step = steps.find((candidate) => candidate * power >= atLeast) ?? steps[steps.length - 1];
  return Number((step * power).toPrecision(6));
}

/** The degrees between graticule lines: a round step at least `atLeast`, at most 90°. */
function gridStep(atLeast: number): number {
  return atLeast > 10 ? (WIDE_GRID_STEPS.find((step) => step >= atLeast) ?? WIDE_GRID_STEPS[WIDE_GRID_STEPS.length - 1]) : niceStep(atLeast);
}

/** A degree value, rounded to its grid step's decimals, then its hemisphere letter. */
function degreeLabel(value: number, step: number, positive: string, negative: string): string {
  const decimals = (String(step).split(".")[1] ?? "").length;
  const rounded = Number(value.toFixed(decimals));
  return `${Math.abs(rounded)}°${rounded > 0 ? positive : rounded < 0 ? negative : ""}`;
}

/** The meridians and parallels in view, spaced at least 90 px apart on round degree values, with their labels. */
export function graticule(view: View): { meridians: GridLine[]; parallels: GridLine[] } {
  const visible = visibleBounds(view);
  const lonStep = gridStep(GRID_SPACING / (view.scale * view.squeeze));
  const latStep = gridStep(GRID_SPACING / view.scale);
  const meridians: GridLine[] = [];
  for (let index = Math.ceil(visible.west / lonStep); index * lonStep <= visible.east; index += 1) {
    const lon = index * lonStep;
    const wrapped = wrapLongitude(lon);
    meridians.push({ at: project(view, lon, 0)[0], label: wrapped === -180 ? "180°" : degreeLabel(wrapped, lonStep, "E", "W") });
  }
  const parallels: GridLine[] = [];
  const top = Math.min(visible.north, 90);
  for (let index = Math.ceil(Math.max(visible.south, -90) / latStep); index * latStep <= top; index += 1) {
    const lat = index * latStep;
    parallels.push({ at: project(view, 0, lat)[1], label: degreeLabel(lat, latStep, "N", "S") });
  }
  return { meridians, parallels };
}

/** A scale bar at least 60 px long on a round distance, and its label. */
export function scaleBar(view: View): { length: number; label: string } {
  const pixelsPerKm = view.scale / KM_PER_DEGREE;
  const km = niceStep(SCALE_BAR_LENGTH / pixelsPerKm, DISTANCE_STEPS);
  return { length: km * pixelsPerKm, label: km < 1 ? `${Math.round(km * 1000)} m` : `${km.toLocaleString("en-US")} km` };
}

/** Where a footprint's label goes (its baseline's middle): centred above its outline, or below it when there is no room above, kept inside the viewport. */
export function labelPlace(view: View, polygons: Rings[]): Point {
  const box = { left: Infinity, top: Infinity, right: -Infinity, bottom: -Infinity };
  for (const ring of polygons.flat()) {
    for (const [x, y] of projectRing(view, ring, 0)) {
      box.left = Math.min(box.left, x);
      box.right = Math.max(box.right, x);
      box.top = Math.min(box.top, y);
      box.bottom = Math.max(box.bottom, y);
    }
  }
  const x = Math.min(Math.max((box.left + box.right) / 2, LABEL_ROOM.side), view.width - LABEL_ROOM.side);
  const above = box.top - LABEL_ROOM.gap;
  const y = above >= LABEL_ROOM.line ? above : Math.min(box.bottom + LABEL_ROOM.gap + LABEL_ROOM.line, view.height - LABEL_ROOM.gap);
  return [x, y];
}
