/**
 * The design's deployments that still stand (a sandbox or hosts configured), each with a Tear
 * down button; and, before another deploy, the offer to replace them instead of adding one more.
 */
import { type DeploymentOut, api } from "./api";
import { ask } from "./ask";
import { clear, h } from "./dom";

/** What a deployment's state means, in words. */
export const STATE_WORDS: Record<string, string> = {
  pending: "waiting for its agent",
  deploying: "deploying",
  probing: "probing reachability",
  done: "deployed",
  failed: "failed",
  tearing_down: "tearing down",
  torn_down: "torn down",
};

export function stateWords(state: string): string {
  return STATE_WORDS[state] ?? state.replace(/_/g, " ");
}

const TEARDOWN_POLL_MS = 1000;
const TEARDOWN_WAIT_MS = 180_000;

/** True while a deployment may have left something behind that only a teardown removes. */
export function standing(d: DeploymentOut): boolean {
  return d.state !== "torn_down";
}

export class DeploymentList {
  readonly root = h("div", { class: "standing", id: "standing" });
  private designId: number | null = null;
  private shown: number | string | null = null;

  constructor(private readonly say: (message: string, error?: boolean) => void) {}

  /** Lists `designId`'s standing deployments (none for an unsaved design); `shown` is the one followed. */
  async refresh(designId: number | null, shown: number | string | null): Promise<DeploymentOut[]> {
    this.designId = designId;
    this.shown = shown;
    const found = designId === null ? [] : (await api.deployments(designId)).filter(standing);
    if (designId !== this.designId) return found; // another design was opened meanwhile
    clear(this.root);
    if (!found.length) return found;
    this.root.append(
      h("h3", {}, `Running for this design (${found.length})`),
      h(
        "ul",
        {},
        ...found.map((d) =>
          h(
            "li",
            { "data-deployment": d.id },
            `#${d.id} · version ${d.version} · ${d.sandbox ? "sandbox" : "agents"} · ${stateWords(d.state)}`,
            d.id === this.shown ? h("small", {}, " (shown below)") : null,
            " ",
            h(
              "button",
              {
                type: "button",
                class: "teardown-one",
                disabled: d.state !== "done" && d.state !== "failed",
                title:
                  d.state === "done" || d.state === "failed"
                    ? "Remove what this deployment made"
                    : "wait until it ends",
                onclick: () => void this.tearDown(d.id),
              },
              "Tear down",
            ),
          ),
        ),
      ),
    );
    return found;
  }

  private async tearDown(id: number | string): Promise<void> {
    try {
      await api.teardown(id);
      this.say(`tearing down deployment #${id}…`);
    } catch (err) {
      this.say(`Deployment #${id} cannot be torn down now: ${(err as Error).message}`, true);
    }
    await this.refresh(this.designId, this.shown);
  }

  /**
   * Before deploying `designId` again: when deployments of it still stand, asks whether to
   * replace them (tear them down, wait until they are gone) or keep them. False to cancel.
   */
  async beforeDeploy(designId: number): Promise<boolean> {
    const found = await this.refresh(designId, this.shown);
    if (!found.length) return true;
    const busy = found.filter((d) => d.state !== "done" && d.state !== "failed");
    if (busy.length) {
      this.say(
        `Deployment #${busy[0].id} of this design is still ${stateWords(busy[0].state)}: wait until it ends.`,
        true,
      );
      return false;
    }
    const answer = await ask(
      document.getElementById("dialog") as HTMLDialogElement,
      "This design is already deployed",
      [
        `${found.length === 1 ? "A deployment" : `${found.length} deployments`} of this design still stand` +
          ` (${found.map((d) => `#${d.id}, version ${d.version}`).join("; ")}).`,
        "Replace: tear down what stands, then deploy. Keep: deploy once more beside it (each sandbox holds memory on the lab machine).",
      ],
      [
        { label: "Replace it", value: "replace", id: "dialog-replace", primary: true },
        { label: "Keep it and deploy another", value: "keep", id: "dialog-keep" },
      ],
    );
    if (answer === "keep") return true;
    if (answer !== "replace") return false;
    try {
      for (const d of found) await api.teardown(d.id);
      this.say(`tearing down ${found.map((d) => `#${d.id}`).join(", ")} before deploying again…`);
      await this.refresh(designId, this.shown);
      await this.untilGone(found.map((d) => d.id));
      return true;
    } catch (err) {
      this.say(`Could not replace the deployment: ${(err as Error).message}`, true);
      return false;
    }
  }

  private async untilGone(ids: Array<number | string>): Promise<void> {
    const until = Date.now() + TEARDOWN_WAIT_MS;
    for (const id of ids) {
      for (;;) {
        const d = await api.deployment(id);
        if (d.state === "torn_down") break;
        if (d.state === "failed") throw new Error(`the teardown of #${id} failed${d.detail ? `: ${d.detail}` : ""}`);
        if (Date.now() > until)
          throw new Error(`#${id} is still ${stateWords(d.state)} after ${TEARDOWN_WAIT_MS / 1000} s`);
        await new Promise((r) => setTimeout(r, TEARDOWN_POLL_MS));
      }
    }
  }
}
