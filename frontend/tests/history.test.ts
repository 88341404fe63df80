import { describe, expect, it } from "vitest";
import { History } from "../src/history";
import { addHost, emptyDesign, rename } from "../src/model";

describe("undo and redo", () => {
  it("walks back and forth through edits", () => {
    const h = new History(emptyDesign());
    h.edit((d) => addHost(d));
    h.edit((d) => rename(d, { kind: "hosts", name: "host1" }, "alpha"));
    expect(Object.keys(h.design.hosts)).toEqual(["alpha"]);
    expect(h.undo()).toBe(true);
    expect(Object.keys(h.design.hosts)).toEqual(["host1"]);
    expect(h.undo()).toBe(true);
    expect(h.design.hosts).toEqual({});
    expect(h.undo()).toBe(false);
    expect(h.redo()).toBe(true);
    expect(h.redo()).toBe(true);
    expect(Object.keys(h.design.hosts)).toEqual(["alpha"]);
    expect(h.redo()).toBe(false);
  });
  it("drops the redo branch after a new edit, and records nothing for a failed or empty edit", () => {
    const h = new History(emptyDesign());
    h.edit((d) => addHost(d));
    h.undo();
    h.edit((d) => {
      d.name = "other";
    });
    expect(h.canRedo).toBe(false);
    expect(() =>
      h.edit((d) => {
        addHost(d);
        throw new Error("no");
      }),
    ).toThrow("no");
    h.edit(() => undefined);
    expect(h.design.hosts).toEqual({});
    h.undo();
    expect(h.design.name).toBe("untitled");
    expect(h.canUndo).toBe(false);
  });
  it("hands out copies, so changing one does not change the history", () => {
    const h = new History(emptyDesign());
    h.design.name = "changed";
    expect(h.design.name).toBe("untitled");
  });
});

describe("replacing the design (New, Open)", () => {
  it("is one undoable step that brings back the design and where it was saved", () => {
    const first: { id: number | null } = { id: null };
    const h = new History(emptyDesign(), first);
    h.edit((d) => addHost(d));
    first.id = 7; // saved
    h.replace(emptyDesign("fresh"), { id: null });
    expect(h.design.name).toBe("fresh");
    expect(h.doc).toEqual({ id: null });
    expect(h.undo()).toBe(true);
    expect(Object.keys(h.design.hosts)).toEqual(["host1"]);
    expect(h.doc).toEqual({ id: 7 });
    expect(h.redo()).toBe(true);
    expect(h.doc).toEqual({ id: null });
  });
});
