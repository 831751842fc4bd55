// Tests for the footprint map's land: which resolution a view draws, and the bundled Natural Earth land decoded once.
import { describe, expect, it } from "vitest";
import { fitView, landPaths } from "./footprints";
import { landResolution, loadLand } from "./land";

describe("land", () => {
  it("draws the world at 1:110m and a country or a city at 1:50m", () => {
    expect(landResolution(fitView({ west: -180, east: 180, south: -60, north: 80 }, 1000, 600))).toBe("110m");
    expect(landResolution(fitView({ west: 5.87, east: 15.04, south: 47.27, north: 55.06 }, 1000, 800))).toBe("50m");
    expect(landResolution(fitView({ west: 13.2, east: 13.6, south: 52.4, north: 52.6 }, 1000, 800))).toBe("50m");
  });

  it("decodes Natural Earth's land once, with Europe on it and the Atlantic off it", async () => {
    const land = loadLand("110m");
    expect(loadLand("110m")).toBe(land);
    const polygons = await land;
    expect(polygons.length).toBeGreaterThan(100);
    const europe = landPaths(fitView({ west: 5, east: 15, south: 45, north: 55 }, 400, 400), polygons);
    expect(europe.fill).not.toBe("");
    expect(europe.coast).not.toBe("");
    expect(landPaths(fitView({ west: -35, east: -30, south: 30, north: 35 }, 400, 400), polygons)).toEqual({ fill: "", coast: "" });
  });
});
