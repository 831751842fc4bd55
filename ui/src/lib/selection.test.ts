// Tests for the download selection: folders tick everything below them, partly ticked folders, and the paths sent.
import { describe, expect, it } from "vitest";
import type { OutputNode } from "./bindings/OutputNode";
import { OutputSelection } from "./selection.svelte";
import { TREE, folder } from "../test/fixtures";

const TILE = TREE.children[0];
const [G, R, PNG] = TILE.children;
const [CSV, LOG] = TREE.children.slice(1);

describe("OutputSelection", () => {
  it("starts with nothing ticked", () => {
    const selection = new OutputSelection(TREE);
    expect(selection.count).toBe(0);
    expect(selection.check(TREE)).toBe("none");
    expect(selection.paths()).toEqual([]);
  });

  it("ticks every file below a folder, and sends the folder alone", () => {
    const selection = new OutputSelection(TREE);
    selection.toggle(TILE);
    expect([G, R, PNG].map((node) => selection.check(node))).toEqual(["all", "all", "all"]);
    expect(selection.check(TILE)).toBe("all");
    expect(selection.check(TREE)).toBe("some");
    expect(selection.count).toBe(3);
    expect(selection.bytes).toBe(2_102_400 * 2 + 48_213);
    expect(selection.paths()).toEqual(["DES0226-1541"]);
  });

  it("shows a folder as partly ticked and sends only its ticked files", () => {
    const selection = new OutputSelection(TREE);
    selection.toggle(R);
    selection.toggle(CSV);
    expect(selection.check(TILE)).toBe("some");
    expect(selection.paths()).toEqual([R.path, CSV.path]);
  });

  it("ticks the rest of a partly ticked folder, and unticks a wholly ticked one", () => {
    const selection = new OutputSelection(TREE);
    selection.toggle(G);
    selection.toggle(TILE);
    expect(selection.check(TILE)).toBe("all");
    selection.toggle(TILE);
    expect(selection.check(TILE)).toBe("none");
    expect(selection.count).toBe(0);
  });

  it("sends the top-level entries when everything is ticked, and forgets it all on clear", () => {
    const selection = new OutputSelection(TREE);
    selection.toggle(TREE);
    expect(selection.check(TREE)).toBe("all");
    expect(selection.paths()).toEqual(TREE.children.map((node) => node.path));
    selection.toggle(LOG);
    expect(selection.check(TREE)).toBe("some");
    selection.clear();
    expect(selection.check(TREE)).toBe("none");
  });

  it("reaches files in nested folders and ignores empty folders", () => {
    const nested: OutputNode = folder("", [folder("a", [folder("a/b", [TILE.children[0]]), folder("a/empty", [])])]);
    const selection = new OutputSelection(nested);
    const [a] = nested.children;
    selection.toggle(a);
    expect(selection.count).toBe(1);
    expect(selection.check(a.children[0])).toBe("all");
    expect(selection.check(a.children[1])).toBe("none");
    expect(selection.paths()).toEqual(["a"]);
  });

  it("lists files with each folder's subfolders first, and selects, adds, removes and ranges by path", () => {
    const selection = new OutputSelection(TREE);
    expect(selection.files.map((node) => node.path)).toEqual([G.path, R.path, PNG.path, CSV.path, LOG.path, TREE.children[3].path]);
    selection.replace([R.path, CSV.path]);
    expect(selection.has(R.path)).toBe(true);
    expect(selection.has(G.path)).toBe(false);
    expect(selection.paths()).toEqual([R.path, CSV.path]);
    selection.add([G.path, PNG.path]);
    expect(selection.paths()).toEqual(["DES0226-1541", CSV.path]);
    selection.remove([G.path, CSV.path]);
    expect(selection.count).toBe(2);
    expect(selection.range(4, 1)).toEqual([R.path, PNG.path, CSV.path, LOG.path]);
    selection.selectAll();
    expect(selection.check(TREE)).toBe("all");
    expect(selection.snapshot()).toEqual(new Set(selection.files.map((node) => node.path)));
  });
});
