// Tests for the formatting helpers: sizes, rates, times left, counts, local and relative times, kind labels, archive hosts and stage names.
import { describe, expect, it } from "vitest";
import sizes from "../../../crates/engine/vectors/sizes.json";
import { digestLabel, formatBytes, formatCount, formatEta, formatNumber, formatRate, formatRelative, formatTime, kindLabel, stageLabel, statusText } from "./format";

describe("formatBytes", () => {
  it("writes every size of the shared table as the engine does", () => {
    for (const { bytes, text } of sizes.sizes) expect(formatBytes(bytes), String(bytes)).toBe(text);
  });

  it("shows a dash for an unknown size", () => {
    expect(formatBytes(null)).toBe("—");
  });
});

describe("formatCount", () => {
  it("groups thousands and picks singular or plural", () => {
    expect(formatCount(1, "file")).toBe("1 file");
    expect(formatCount(0, "file")).toBe("0 files");
    expect(formatCount(12_345, "file")).toBe("12,345 files");
    expect(formatCount(3, "entry", "entries")).toBe("3 entries");
  });
});

describe("formatTime", () => {
  // The test run pins TZ=UTC (vite.config.ts), so local time equals UTC here.
  it("shows an ISO time as day, short month, year and 24-hour time", () => {
    expect(formatTime("2020-09-22T18:27:27Z")).toBe("22 Sep 2020, 18:27");
    expect(formatTime("2021-01-05T03:04:59Z")).toBe("5 Jan 2021, 03:04");
  });

  it("converts to the local zone", () => {
    expect(formatTime("2020-12-31T23:30:00-02:00")).toBe("1 Jan 2021, 01:30");
  });

  it("shows a dash for a missing or unreadable time", () => {
    expect(formatTime(null)).toBe("—");
    expect(formatTime("")).toBe("—");
    expect(formatTime("yesterday")).toBe("—");
  });
});

describe("formatRelative", () => {
  const now = new Date("2020-09-22T18:27:27Z");

  it("describes past and future times in the largest fitting unit", () => {
    expect(formatRelative("2020-09-22T18:27:00Z", now)).toBe("just now");
    expect(formatRelative("2020-09-22T18:22:27Z", now)).toBe("5 minutes ago");
    expect(formatRelative("2020-09-22T15:27:27Z", now)).toBe("3 hours ago");
    expect(formatRelative("2020-09-21T18:27:27Z", now)).toBe("yesterday");
    expect(formatRelative("2020-09-29T18:27:27Z", now)).toBe("in 7 days");
    expect(formatRelative("2020-06-22T18:27:27Z", now)).toBe("3 months ago");
    expect(formatRelative("2018-09-01T00:00:00Z", now)).toBe("2 years ago");
  });

  it("gives nothing for a missing time", () => {
    expect(formatRelative(null, now)).toBeNull();
  });
});

describe("kindLabel", () => {
  it("names every kind of output briefly", () => {
    expect(kindLabel({ kind: "fits", band: "r" })).toBe("FITS r");
    expect(kindLabel({ kind: "fits", band: null })).toBe("FITS");
    expect(kindLabel({ kind: "stiffPng", colors: "irg" })).toBe("STIFF irg");
    expect(kindLabel({ kind: "luptonPng", colors: "gri" })).toBe("Lupton gri");
    expect(kindLabel({ kind: "luptonPng", colors: "" })).toBe("Lupton");
    expect(kindLabel({ kind: "csv" })).toBe("CSV");
    expect(kindLabel({ kind: "summary" })).toBe("SUMMARY");
    expect(kindLabel({ kind: "geoJson" })).toBe("GeoJSON");
    expect(kindLabel({ kind: "directory" })).toBe("Folder");
    expect(kindLabel({ kind: "other" })).toBe("File");
  });
});

describe("formatRate", () => {
  it("shows bytes per second in binary units", () => {
    expect(formatRate(0)).toBe("0 B/s");
    expect(formatRate(512.4)).toBe("512 B/s");
    expect(formatRate(1_468_006)).toBe("1.4 MiB/s");
    expect(formatRate(-3)).toBe("0 B/s");
  });
});

describe("formatEta", () => {
  it("rounds up to seconds, minutes, hours or days", () => {
    expect(formatEta(0)).toBe("1 s left");
    expect(formatEta(44.2)).toBe("45 s left");
    expect(formatEta(59.5)).toBe("1 min left");
    expect(formatEta(90)).toBe("2 min left");
    expect(formatEta(3540)).toBe("59 min left");
    expect(formatEta(3599)).toBe("1 h left");
    expect(formatEta(3600)).toBe("1 h left");
    expect(formatEta(3900)).toBe("1 h 5 min left");
    expect(formatEta(86_340)).toBe("23 h 59 min left");
    expect(formatEta(86_400)).toBe("1 d left");
    expect(formatEta(3 * 86_400 + 7200)).toBe("3 d 2 h left");
  });

  it("gives nothing when the time left can't be told", () => {
    expect(formatEta(null)).toBeNull();
    expect(formatEta(Number.POSITIVE_INFINITY)).toBeNull();
    expect(formatEta(-1)).toBeNull();
  });
});

describe("formatNumber", () => {
  it("groups thousands", () => {
    expect(formatNumber(1204)).toBe("1,204");
  });
});

describe("stageLabel", () => {
  const get = ["GET_START", "GET_PENDING", "GET_UNPACKING", "GET_COMPLETED"];
  it("leaves out the word all of a job's stages share", () => {
    expect(get.map((name) => stageLabel(name, get))).toEqual(["Start", "Pending", "Unpacking", "Completed"]);
    expect(stageLabel("PUT_VERIFY_PENDING", ["PUT_START", "PUT_VERIFY_PENDING"])).toBe("Verify pending");
  });
  it("keeps every word when the stages share none, or the name is one word", () => {
    expect(stageLabel("ON_STORAGE", ["ON_DISK", "PUTTING", "ON_STORAGE"])).toBe("On storage");
    expect(stageLabel("FAILED", get)).toBe("Failed");
    expect(stageLabel("GET", ["GET", "GET"])).toBe("Get");
  });
});

describe("digestLabel", () => {
  it("names the algorithm and keeps a short digest whole", () => {
    expect(digestLabel({ algorithm: "adler32", value: "0x1a2b3c4d" })).toBe("ADLER-32 0x1a2b3c4d");
  });
  it("shortens a long digest to its ends", () => {
    const value = "3b4c5d" + "0".repeat(52) + "9e0f1a";
    expect(digestLabel({ algorithm: "sha256", value })).toBe("SHA-256 3b4c5d…9e0f1a");
  });
});

describe("statusText", () => {
  it("reads a bare stage code as words, only for an archive whose jobs have stages", () => {
    expect(statusText("GET_COMPLETED", true)).toBe("Get completed");
    expect(statusText("ON_STORAGE", true)).toBe("On storage");
    expect(statusText("FAILED", true)).toBe("Failed");
    expect(statusText("GET_COMPLETED", false)).toBe("GET_COMPLETED");
  });

  it("leaves what the archive wrote in words as it is", () => {
    expect(statusText("FAILED: Failed to download the migration", true)).toBe("FAILED: Failed to download the migration");
    expect(statusText("ORA-00942: table or view does not exist", true)).toBe("ORA-00942: table or view does not exist");
    expect(statusText("", true)).toBe("");
  });
});
