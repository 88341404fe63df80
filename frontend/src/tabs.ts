/** The side panel's tabs (Properties, Issues, Deploy): which one shows, and the Issues tab's count. */
import { h } from "./dom";

export type Tab = "properties" | "issues" | "deploy-panel";

/** A tab button's id: `tab-properties`, `tab-issues`, `tab-deploy`. */
const buttonId = (id: Tab) => `tab-${id === "deploy-panel" ? "deploy" : id}`;

export class Tabs {
  private readonly buttons = new Map<Tab, HTMLButtonElement>();
  current: Tab = "properties";

  /** `shown`: after a tab is brought to the front (the deploy tab then refreshes what it shows). */
  constructor(
    nav: HTMLElement,
    private readonly shown: (id: Tab) => void,
  ) {
    const tab = (id: Tab, label: string) => {
      const b = h("button", { id: buttonId(id), type: "button", onclick: () => this.show(id) }, label);
      this.buttons.set(id, b);
      return b;
    };
    nav.append(tab("properties", "Properties"), tab("issues", "Issues"), tab("deploy-panel", "Deploy"));
    this.front("properties");
  }

  show(id: Tab): void {
    this.front(id);
    this.shown(id);
  }

  private front(id: Tab): void {
    this.current = id;
    for (const section of document.querySelectorAll<HTMLElement>("section.tab")) section.hidden = section.id !== id;
    for (const [name, b] of this.buttons) b.classList.toggle("active", name === id);
  }

  /** The Issues tab says how many there are, marked while any is an error. */
  countIssues(total: number, errors: number): void {
    const tab = this.buttons.get("issues")!;
    tab.textContent = `Issues (${total})`;
    tab.classList.toggle("bad", errors > 0);
  }
}
