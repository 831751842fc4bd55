// Tests for the footprint map's geometry: unwrapping and placing footprints, fitting and moving the view, paths, clipping, land, graticule, scale bar and labels.
import { describe, expect, it } from "vitest";
import { UP42_FOOTPRINTS } from "../test/fixtures";
import {
  FIT,
  clipRing,
  fitView,
  graticule,
  labelPlace,
  landPaths,
  niceStep,
  panBy,
  placeFootprints,
  polygonPath,
  polygonsOf,
  prepareLand,
  project,
  scaleBar,
  unproject,
  unwrapRing,
  visibleBounds,
  zoomAt,
  type Bounds,
  type Footprint,
  type Geometry,
  type Rings,
  type View,
} from "./footprints";

const footprint = (id: string, geometry: Geometry): Footprint => ({ id, label: id, quicklook: null, geometry });
/** A closed ring around a box. */
const square = (west: number, south: number, east: number, north: number) => [
  [west, south],
  [east, south],
  [east, north],
  [west, north],
  [west, south],
];
/** A view 100 px square, 10 px per degree, centred on (0°, 0°), with no squeeze. */
const PLAIN: View = { width: 100, height: 100, lon0: 0, lat0: 0, scale: 10, squeeze: 1 };
const allLongitudes = (polygons: Rings[]) => polygons.flat(2).map(([lon]) => lon);
const subpaths = (path: string) => path.match(/M/g)?.length ?? 0;

describe("placing footprints", () => {
  it("unwraps a ring that crosses the antimeridian into continuous longitudes", () => {
    expect(unwrapRing(square(179.5, 0, -179.5, 1))).toEqual([
      [179.5, 0],
      [180.5, 0],
      [180.5, 1],
      [179.5, 1],
      [179.5, 0],
    ]);
    expect(unwrapRing(square(13, 52, 14, 53))).toEqual(square(13, 52, 14, 53));
  });

  it("reads a polygon with its hole, each part of a multipolygon, and leaves out empty rings", () => {
    const withHole = polygonsOf({ type: "Polygon", coordinates: [square(0, 0, 4, 4), square(1, 1, 2, 2)] });
    expect(withHole).toHaveLength(1);
    expect(withHole[0]).toHaveLength(2);
    const parts = polygonsOf({ type: "MultiPolygon", coordinates: [[square(0, 0, 1, 1)], [square(5, 5, 6, 6), []]] });
    expect(parts.map((rings) => rings.length)).toEqual([1, 1]);
    expect(polygonsOf({ type: "Polygon", coordinates: [] })).toEqual([]);
  });

  it("bounds the Berlin scenes by their own corners", () => {
    const { placed, bounds } = placeFootprints(UP42_FOOTPRINTS);
    expect(placed.map(({ footprint: { id } }) => id)).toEqual(UP42_FOOTPRINTS.map(({ id }) => id));
    expect(placed[0].polygons).toEqual([UP42_FOOTPRINTS[0].geometry.coordinates]);
    expect(bounds).toEqual({ west: 13.2012, east: 13.6024, south: 52.4102, north: 52.6079 });
    expect(placeFootprints(UP42_FOOTPRINTS.slice(2)).placed[0].polygons).toEqual(UP42_FOOTPRINTS[2].geometry.coordinates);
  });

  it("keeps scenes on both sides of the antimeridian together, however GeoJSON splits them", () => {
    const crossing = footprint("crossing", { type: "Polygon", coordinates: [square(179.8, -17, -179.8, -16.6)] });
    const split = footprint("split", {
      type: "MultiPolygon",
      coordinates: [[square(179.6, -17.2, 180, -16.8)], [square(-180, -17.2, -179.6, -16.8)]],
    });
    const { placed, bounds } = placeFootprints([crossing, split]);
    expect(bounds!.west).toBeCloseTo(179.6);
    expect(bounds!.east).toBeCloseTo(180.4);
    for (const { polygons } of placed) {
      for (const lon of allLongitudes(polygons)) expect(lon).toBeGreaterThanOrEqual(179.6);
    }
    // Far apart but nearer across the antimeridian: 20° wide, not 340°.
    const apart = placeFootprints([footprint("west", { type: "Polygon", coordinates: [square(-170, 0, -169, 1)] }), footprint("east", { type: "Polygon", coordinates: [square(170, 0, 171, 1)] })]);
    expect(apart.bounds).toEqual({ west: 170, east: 191, south: 0, north: 1 });
  });

  it("has no bounds when no footprint has geometry", () => {
    expect(placeFootprints([])).toEqual({ placed: [], bounds: null });
    expect(placeFootprints([footprint("bare", { type: "MultiPolygon", coordinates: [] })]).bounds).toBeNull();
  });
});

describe("fitting the view", () => {
  const berlin = placeFootprints(UP42_FOOTPRINTS).bounds!;
  const corners = (view: View, { west, east, south, north }: Bounds) => [project(view, west, north), project(view, east, south)];

  it("shows a known box inside the viewport, clear of the padding, centred", () => {
    const germany: Bounds = { west: 5.87, east: 15.04, south: 47.27, north: 55.06 };
    const view = fitView(germany, 1000, 800);
    const [[left, top], [right, bottom]] = corners(view, germany);
    for (const x of [left, right]) {
      expect(x).toBeGreaterThanOrEqual(FIT.padding);
      expect(x).toBeLessThanOrEqual(1000 - FIT.padding);
    }
    for (const y of [top, bottom]) {
      expect(y).toBeGreaterThanOrEqual(FIT.padding);
      expect(y).toBeLessThanOrEqual(800 - FIT.padding);
    }
    expect((left + right) / 2).toBeCloseTo(500);
    expect((top + bottom) / 2).toBeCloseTo(400);
    // The box's tighter side takes the room inside the padding, less the context around it.
    const roomShare = Math.max((right - left) / (1000 - 2 * FIT.padding), (bottom - top) / (800 - 2 * FIT.padding));
    expect(roomShare).toBeCloseTo(1 / (1 + 2 * FIT.margin));
  });

  it("keeps the ground's proportions: a degree of longitude narrows by the cosine of the latitude", () => {
    const view = fitView(berlin, 1000, 800);
    const [[left, top], [right, bottom]] = corners(view, berlin);
    const groundRatio = ((berlin.east - berlin.west) * Math.cos((52.50905 * Math.PI) / 180)) / (berlin.north - berlin.south);
    expect((right - left) / (bottom - top)).toBeCloseTo(groundRatio, 6);
    const wide = fitView(berlin, 3000, 400);
    const [[wideLeft, wideTop], [wideRight, wideBottom]] = corners(wide, berlin);
    expect((wideRight - wideLeft) / (wideBottom - wideTop)).toBeCloseTo(groundRatio, 6);
  });

  it("shows a small scene in its surroundings: at least the least extent across", () => {
    const scene: Bounds = { west: 13.4, east: 13.42, south: 52.5, north: 52.512 };
    const view = fitView(scene, 1000, 800);
    expect(view.scale).toBeCloseTo((800 - 2 * FIT.padding) / FIT.minExtent);
    const [[, top], [, bottom]] = corners(view, scene);
    expect(bottom - top).toBeLessThan(800 * 0.2);
    const point = fitView({ west: 13.4, east: 13.4, south: 52.5, north: 52.5 }, 1000, 800);
    expect(point.scale).toBeCloseTo(view.scale);
  });

  it("centres a box across the antimeridian on it, not on the whole world", () => {
    const view = fitView({ west: 179.6, east: 180.4, south: -17.2, north: -16.6 }, 1000, 800);
    expect(view.lon0).toBeCloseTo(180);
    const visible = visibleBounds(view);
    expect(visible.east - visible.west).toBeLessThan(3);
  });

  it("projects and unprojects, zooms about a point, and pans with the pointer", () => {
    const view = fitView(berlin, 1000, 800);
    const [lon, lat] = unproject(view, 123, 456);
    const [x, y] = project(view, lon, lat);
    expect(x).toBeCloseTo(123);
    expect(y).toBeCloseTo(456);

    const zoomed = zoomAt(view, 123, 456, 2);
    expect(zoomed.scale).toBeCloseTo(view.scale * 2);
    expect(project(zoomed, lon, lat)[0]).toBeCloseTo(123);
    expect(project(zoomed, lon, lat)[1]).toBeCloseTo(456);
    expect(zoomAt(view, 0, 0, 1e9).scale).toBe(50_000);

    const panned = panBy(view, 40, -30);
    expect(project(panned, lon, lat)[0]).toBeCloseTo(163);
    expect(project(panned, lon, lat)[1]).toBeCloseTo(426);
    expect(panBy(view, 0, 1e9).lat0).toBe(90);
  });
});

describe("paths", () => {
  it("draws a ring as a closed subpath in pixels", () => {
    expect(polygonPath(PLAIN, [[square(-1, -1, 1, 1)]])).toBe("M40 60L60 60L60 40L40 40L40 60Z");
  });

  it("draws a hole and each part of a multipolygon as further subpaths, for the even-odd rule", () => {
    const [withHole] = polygonsOf({ type: "Polygon", coordinates: [square(-4, -4, 4, 4), square(-1, -1, 1, 1)] });
    expect(subpaths(polygonPath(PLAIN, [withHole]))).toBe(2);
    const parts = polygonsOf({ type: "MultiPolygon", coordinates: [[square(-4, -4, -2, -2), square(-3.5, -3.5, -2.5, -2.5)], [square(2, 2, 4, 4)]] });
    const path = polygonPath(PLAIN, parts);
    expect(subpaths(path)).toBe(3);
    expect(path).toContain("M70 30L90 30L90 10L70 10L70 30Z");
  });

  it("clips a ring to a box along its edges", () => {
    const box = { left: 0, top: 0, right: 10, bottom: 10 };
    const inside: [number, number][] = [
      [2, 2],
      [8, 2],
      [8, 8],
    ];
    expect(clipRing(inside, box)).toEqual(inside);
    const clipped = clipRing(
      [
        [-5, 5],
        [5, -5],
        [15, 5],
        [5, 15],
      ],
      box,
    );
    expect(clipped.length).toBeGreaterThanOrEqual(4);
    for (const [x, y] of clipped) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(10);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(y).toBeLessThanOrEqual(10);
    }
    expect(
      clipRing(
        [
          [20, 20],
          [30, 20],
          [30, 30],
        ],
        box,
      ),
    ).toEqual([]);
  });
});

describe("land", () => {
  /** Antarctica as Natural Earth has it: a coast all round the pole, from -180° to 180°. */
  const antarctica = [[[-180, -70], [-90, -75], [0, -69], [90, -66], [180, -70], [-180, -70]]];

  it("closes a ring that circles a pole along that pole, for filling only", () => {
    const [land] = prepareLand([antarctica]);
    expect(land.coast[0].at(-1)).toEqual([180, -70]);
    expect(land.fill[0].slice(-2)).toEqual([
      [180, -90],
      [-180, -90],
    ]);
    expect(land.bounds).toEqual({ west: -180, east: 180, south: -90, north: -66 });
    const [island] = prepareLand([[square(10, 10, 11, 11)]]);
    expect(island.fill).toEqual(island.coast);
  });

  it("draws land a turn away where the view shows it, clipped to the viewport", () => {
    const fiji = prepareLand([[square(-179.9, -17, -179.5, -16.5)]]);
    const view = fitView({ west: 179, east: 181, south: -18, north: -16 }, 400, 400);
    const { fill, coast } = landPaths(view, fiji);
    expect(subpaths(fill)).toBe(1);
    const xs = [...fill.matchAll(/[ML](-?[\d.]+) /g)].map(([, x]) => Number(x));
    for (const x of xs) expect(x).toBeGreaterThan(200);
    expect(coast).not.toBe("");

    const faraway = landPaths(view, prepareLand([[square(10, 10, 11, 11)]]));
    expect(faraway).toEqual({ fill: "", coast: "" });
    const world = prepareLand([[square(-170, -60, 170, 60)]]);
    for (const match of landPaths(view, world).fill.matchAll(/[ML](-?[\d.]+) (-?[\d.]+)/g)) {
      expect(Number(match[1])).toBeGreaterThanOrEqual(-16);
      expect(Number(match[1])).toBeLessThanOrEqual(416);
    }
  });

  it("leaves the cuts along the antimeridian out of the coastline", () => {
    const cut = prepareLand([
      [
        [
          [179, 60],
          [180, 60],
          [180, 61],
          [179, 61],
          [179, 60],
        ],
      ],
    ]);
    const view = fitView({ west: 178, east: 182, south: 59, north: 62 }, 400, 400);
    const { coast } = landPaths(view, cut);
    const [seamX] = project(view, 180, 60);
    const segments = [...coast.matchAll(/[ML](-?[\d.]+) (-?[\d.]+)/g)].map(([, x]) => Number(x));
    expect(subpaths(coast)).toBe(2);
    expect(segments.filter((x) => Math.abs(x - seamX) < 0.1)).toHaveLength(2);
  });
});

describe("graticule, scale bar and labels", () => {
  it("picks round steps", () => {
    expect(niceStep(0.3)).toBe(0.5);
    expect(niceStep(0.07)).toBe(0.1);
    expect(niceStep(0.021)).toBe(0.025);
    expect(niceStep(3, [1, 2, 5, 10])).toBe(5);
    expect(niceStep(7, [1, 2, 5, 10])).toBe(10);
  });

  it("labels round meridians and parallels at least 90 px apart, with their hemispheres", () => {
    const view = fitView(placeFootprints(UP42_FOOTPRINTS).bounds!, 1000, 800);
    const { meridians, parallels } = graticule(view);
    expect(meridians.map(({ label }) => label)).toContain("13.4°E");
    expect(parallels.map(({ label }) => label)).toContain("52.5°N");
    for (const lines of [meridians, parallels]) {
      expect(lines.length).toBeGreaterThanOrEqual(3);
      for (let index = 1; index < lines.length; index += 1) expect(Math.abs(lines[index].at - lines[index - 1].at)).toBeGreaterThanOrEqual(90);
      for (const { at } of lines) expect(at).toBeGreaterThanOrEqual(0);
    }
  });

  it("names longitudes past the antimeridian west, and the equator and prime meridian without a letter", () => {
    const across = graticule(fitView({ west: 179, east: 181, south: -1, north: 1 }, 1000, 800));
    expect(across.meridians.map(({ label }) => label)).toEqual(expect.arrayContaining(["179.5°E", "180°", "179.5°W"]));
    expect(across.parallels.map(({ label }) => label)).toContain("0°");
    const world = graticule({ ...PLAIN, width: 720, height: 360, scale: 2 });
    expect(world.meridians.map(({ label }) => label)).toEqual(["180°", "135°W", "90°W", "45°W", "0°", "45°E", "90°E", "135°E", "180°"]);
    expect(world.parallels.map(({ label }) => label)).toEqual(["90°S", "45°S", "0°", "45°N", "90°N"]);
  });

  it("measures a round distance with the scale bar", () => {
    const view = fitView(placeFootprints(UP42_FOOTPRINTS).bounds!, 1000, 800);
    const { length, label } = scaleBar(view);
    expect(length).toBeGreaterThanOrEqual(60);
    expect(length).toBeLessThan(60 * 2.5);
    expect(label).toMatch(/^(1|2|5|10) km$/);
    expect(scaleBar({ ...PLAIN, scale: 1000 * 111.32 }).label).toBe("100 m");
    expect(scaleBar({ ...PLAIN, scale: 4 }).label).toBe("2,000 km");
  });

  it("puts a label above its footprint, or below when there is no room above", () => {
    const wide = { ...PLAIN, width: 400 };
    expect(labelPlace(wide, [[square(-1, -1, 1, 1)]])).toEqual([200, 32]);
    expect(labelPlace(wide, [[square(-1, 3.5, 1, 4.5)]])).toEqual([200, 15 + 8 + 14]);
    expect(labelPlace(wide, [[square(-20, -1, -18, 1)]])[0]).toBe(60);
  });
});
