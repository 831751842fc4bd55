// Tests for the footprint map: one focusable shape per footprint, highlighting both ways, selecting, the basemap and its legend, zooming, and the empty state.
import { fireEvent, render, screen } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { UP42_FOOTPRINTS } from "../../test/fixtures";
import type { Footprint } from "../footprints";
import FootprintMap from "./FootprintMap.svelte";

const [FIRST, SECOND, THIRD] = UP42_FOOTPRINTS;

function renderMap(props: { footprints?: Footprint[]; highlighted?: string | null } = {}) {
  const onHighlight = vi.fn();
  const onSelect = vi.fn();
  const result = render(FootprintMap, { footprints: UP42_FOOTPRINTS, onHighlight, onSelect, ...props });
  return { ...result, onHighlight, onSelect, user: userEvent.setup() };
}

const shapes = () => screen.getAllByTestId("footprint");
const shape = (id: string) => shapes().find((element) => element.dataset.footprint === id)!;

describe("footprint map", () => {
  it("draws one focusable, labelled shape per footprint, holes and parts in one even-odd path", () => {
    renderMap();
    expect(shapes()).toHaveLength(3);
    for (const { id, label } of UP42_FOOTPRINTS) {
      const element = shape(id);
      expect(element).toHaveAttribute("role", "button");
      expect(element).toHaveAttribute("tabindex", "0");
      expect(element).toHaveAccessibleName(label);
    }
    expect(screen.getByRole("button", { name: SECOND.label })).toBe(shape(SECOND.id));
    // The two-part product is one shape of two subpaths.
    expect(shape(THIRD.id).getAttribute("d")!.match(/M/g)).toHaveLength(2);
    expect(shape(THIRD.id)).toHaveAttribute("fill-rule", "evenodd");
  });

  it("tells which footprint the pointer is on, and null when it leaves", async () => {
    const { onHighlight } = renderMap();
    await fireEvent.pointerEnter(shape(SECOND.id));
    expect(onHighlight).toHaveBeenLastCalledWith(SECOND.id);
    await fireEvent.pointerLeave(shape(SECOND.id));
    expect(onHighlight).toHaveBeenLastCalledWith(null);
  });

  it("reaches each footprint with Tab, highlights the focused one, and selects with Enter or a click", async () => {
    const { onHighlight, onSelect, user } = renderMap();
    await user.tab();
    expect(shape(FIRST.id)).toHaveFocus();
    expect(onHighlight).toHaveBeenLastCalledWith(FIRST.id);
    await user.keyboard("{Enter}");
    expect(onSelect).toHaveBeenLastCalledWith(FIRST.id);
    await user.tab();
    expect(shape(SECOND.id)).toHaveFocus();
    expect(onHighlight).toHaveBeenLastCalledWith(SECOND.id);
    await user.keyboard(" ");
    expect(onSelect).toHaveBeenLastCalledWith(SECOND.id);
    await user.tab();
    await user.tab();
    expect(shape(THIRD.id)).not.toHaveFocus();
    expect(onHighlight).toHaveBeenLastCalledWith(null);

    await fireEvent.click(shape(THIRD.id));
    expect(onSelect).toHaveBeenLastCalledWith(THIRD.id);
    expect(onSelect).toHaveBeenCalledTimes(3);
  });

  it("marks the highlighted footprint and names it on the map, following the prop", async () => {
    const { rerender } = renderMap({ highlighted: SECOND.id });
    expect(shape(SECOND.id)).toHaveAttribute("data-highlighted", "true");
    expect(shape(FIRST.id)).toHaveAttribute("data-highlighted", "false");
    expect(screen.getByTestId("footprint-label")).toHaveTextContent(SECOND.label);

    await rerender({ highlighted: THIRD.id });
    expect(shape(THIRD.id)).toHaveAttribute("data-highlighted", "true");
    expect(shape(SECOND.id)).toHaveAttribute("data-highlighted", "false");
    expect(screen.getByTestId("footprint-label")).toHaveTextContent(THIRD.label);

    await rerender({ highlighted: null });
    expect(shapes().filter((element) => element.dataset.highlighted === "true")).toEqual([]);
    expect(screen.queryByTestId("footprint-label")).not.toBeInTheDocument();
  });

  it("draws Natural Earth's land under the scenes, with degrees and a scale in the legend", async () => {
    renderMap();
    const land = await screen.findByTestId("map-land", {}, { timeout: 5000 });
    expect(land.getAttribute("d")).not.toBe("");
    const legend = screen.getByTestId("map-legend");
    expect(legend).toHaveTextContent("Land: Natural Earth 1:50m");
    expect(legend).toHaveTextContent("grid in degrees");
    expect(screen.getByTestId("map-scale")).toHaveTextContent("5 km");
    expect(screen.getByText("13.4°E")).toBeInTheDocument();
    expect(screen.getByText("52.5°N")).toBeInTheDocument();
  });

  it("zooms with the buttons and the wheel, and fits the footprints again on request or a double-click", async () => {
    const { user } = renderMap();
    const fit = screen.getByRole("button", { name: "Fit to the footprints" });
    const fitted = shape(FIRST.id).getAttribute("d");
    const barWidth = () => parseFloat((screen.getByTestId("map-scale").querySelector(".bar") as HTMLElement).style.width);
    const fittedBar = barWidth();
    expect(fit).toBeDisabled();

    await user.click(screen.getByRole("button", { name: "Zoom out" }));
    // The scale follows the zoom: the same 5 km drawn a zoom step shorter.
    expect(screen.getByTestId("map-scale")).toHaveTextContent("5 km");
    expect(fittedBar / barWidth()).toBeCloseTo(1.5, 3);
    expect(shape(FIRST.id).getAttribute("d")).not.toBe(fitted);
    await user.click(fit);
    expect(shape(FIRST.id).getAttribute("d")).toBe(fitted);
    expect(fit).toBeDisabled();

    const map = screen.getByRole("group", { name: "Scene footprints" });
    await fireEvent.wheel(map, { deltaY: -400, clientX: 500, clientY: 400 });
    expect(fit).toBeEnabled();
    await fireEvent.dblClick(map);
    expect(shape(FIRST.id).getAttribute("d")).toBe(fitted);
  });

  it("moves the map with a drag, and a double-click on a footprint keeps it where it is", async () => {
    renderMap();
    const map = screen.getByRole("group", { name: "Scene footprints" });
    const fitted = shape(FIRST.id).getAttribute("d");
    await fireEvent.pointerDown(map, { button: 0, clientX: 500, clientY: 400 });
    await fireEvent.pointerMove(map, { clientX: 560, clientY: 420 });
    await fireEvent.pointerUp(map, { clientX: 560, clientY: 420 });
    const dragged = shape(FIRST.id).getAttribute("d")!;
    expect(dragged).not.toBe(fitted);
    const [firstX, firstY] = fitted!.slice(1).split("L")[0].split(" ").map(Number);
    const [draggedX, draggedY] = dragged.slice(1).split("L")[0].split(" ").map(Number);
    expect(draggedX - firstX).toBeCloseTo(60, 0);
    expect(draggedY - firstY).toBeCloseTo(20, 0);

    await fireEvent.dblClick(shape(FIRST.id));
    expect(shape(FIRST.id).getAttribute("d")).toBe(dragged);
  });

  it("says so when no scene has a geometry", () => {
    renderMap({ footprints: [] });
    expect(screen.getByText("No footprints")).toBeInTheDocument();
    expect(screen.getByText("This job's scenes have no geometry.")).toBeInTheDocument();
    expect(screen.queryByTestId("footprint")).not.toBeInTheDocument();
  });

  it("leaves out footprints whose geometry is empty", () => {
    renderMap({ footprints: [{ ...FIRST, geometry: { type: "Polygon", coordinates: [] } }, SECOND] });
    expect(shapes().map((element) => element.dataset.footprint)).toEqual([SECOND.id]);
  });
});
