// The footprint map's land: Natural Earth's public-domain land polygons from the world-atlas package, each resolution a chunk of its own, loaded when a map first needs it and decoded once.
import { feature } from "topojson-client";
import type { GeometryCollection, Topology } from "topojson-specification";
import { prepareLand, visibleBounds, type LandPolygon, type Rings, type View } from "./footprints";

/** Natural Earth's scales: 1:110m for the world, 1:50m closer in (the 1:10m land is 3 MB: too heavy to bundle). */
export type LandResolution = "110m" | "50m";

const TOPOLOGIES = {
  "110m": () => import("world-atlas/land-110m.json"),
  "50m": () => import("world-atlas/land-50m.json"),
} satisfies Record<LandResolution, unknown>;

/** Views spanning fewer degrees of latitude than this draw the finer land: at 1:110m a country's coast is a few straight strokes. */
const FINE_BELOW = 40;

const decoded = new Map<LandResolution, Promise<LandPolygon[]>>();

/** The land a view needs. */
export function landResolution(view: View): LandResolution {
  const { south, north } = visibleBounds(view);
  return north - south < FINE_BELOW ? "50m" : "110m";
}

/** The land at a resolution, ready to draw; a failed load is forgotten, so the next map tries again. */
export function loadLand(resolution: LandResolution): Promise<LandPolygon[]> {
  let land = decoded.get(resolution);
  if (!land) {
    land = TOPOLOGIES[resolution]().then((module) => {
      // TypeScript reads the JSON's "type" fields as plain strings.
      const topology = module.default as unknown as Topology<{ land: GeometryCollection }>;
      const { features } = feature(topology, topology.objects.land);
      const polygons: Rings[] = features.flatMap(({ geometry }) =>
        geometry.type === "Polygon" ? [geometry.coordinates] : geometry.type === "MultiPolygon" ? geometry.coordinates : [],
      );
      return prepareLand(polygons);
    });
    land.catch(() => decoded.delete(resolution));
    decoded.set(resolution, land);
  }
  return land;
}
