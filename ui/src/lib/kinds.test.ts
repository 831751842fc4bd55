// Tests for picking files by kind: which kinds have pictures, the "select by kind" entries, and an object's name and files.
import { describe, expect, it } from "vitest";
import { file } from "../test/fixtures";
import { hasPicture, kindChoices, objectName, sameObject } from "./kinds";

const FILES = [
  file("T/DESJ0226-1541_g.fits", 1, { kind: "fits", band: "g" }),
  file("T/DESJ0226-1541_r.fits.fz", 1, { kind: "fits", band: "r" }),
  file("T/DESJ0226-1541_irg_stiff.png", 1, { kind: "stiffPng", colors: "irg" }),
  file("T/DESJ0226-1541_gri_lupton.png", 1, { kind: "luptonPng", colors: "gri" }),
  file("T/DESJ0227-1600_g.fits", 1, { kind: "fits", band: "g" }),
  file("U/DESJ0226-1541_g.fits", 1, { kind: "fits", band: "g" }),
  file("mosaic.fits", 1, { kind: "fits", band: null }),
  file("quicklook.jpg", 1, { kind: "image" }),
  file("BTL.csv", 1, { kind: "csv" }),
  file("job.log", 1, { kind: "log" }),
];

describe("kinds", () => {
  it("knows which kinds have a picture", () => {
    expect(FILES.map((node) => hasPicture(node))).toEqual([true, true, true, true, true, true, true, true, false, false]);
  });

  it("offers one entry per kind present, FITS bands first, with their files", () => {
    expect(kindChoices(FILES).map((choice) => [choice.label, choice.paths.length])).toEqual([
      ["g-band FITS", 3],
      ["r-band FITS", 1],
      ["FITS without a band", 1],
      ["STIFF PNGs", 1],
      ["Lupton PNGs", 1],
      ["Quicklooks and other images", 1],
      ["Catalogues (CSV)", 1],
    ]);
    expect(kindChoices(FILES.slice(8))).toEqual([{ label: "Catalogues (CSV)", paths: ["BTL.csv"] }]);
  });

  it("names the object from the file name without the band or colours part", () => {
    expect(FILES.slice(0, 4).map(objectName)).toEqual(Array(4).fill("DESJ0226-1541"));
    expect(objectName(FILES[6])).toBe("mosaic");
    expect(objectName(FILES[7])).toBe("quicklook");
  });

  it("finds the files of the same object in the same folder", () => {
    expect(sameObject(FILES, FILES[2])).toEqual(FILES.slice(0, 4).map((node) => node.path));
    expect(sameObject(FILES, FILES[4])).toEqual([FILES[4].path]);
  });
});
