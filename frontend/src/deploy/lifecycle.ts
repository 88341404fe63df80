/**
 * The deployment on show: which it is and of which design, the site's calls that start, find and
 * tear it down, the list of the design's standing ones, and following its event stream (reconnect.ts).
 */
import { type DeployOut, type DeploymentOut, api } from "../api";
import { DeploymentList } from "../deployments";
import { type RefusalCloseCode, reconnecting } from "../reconnect";
import type { Message } from "./reducer";
import type { Target } from "./picker";

type Say = (message: string, error?: boolean) => void;

export class Lifecycle {
  /** The deployment shown (null: none). */
  id: string | number | null = null;
  /** The design it belongs to (null: an unsaved design). */
  designId: number | null = null;
  readonly standing: DeploymentList;
  /** Stops following the deployment's events (null: not following). */
  private unfollow: (() => void) | null = null;

  constructor(private readonly say: Say) {
    this.standing = new DeploymentList(say);
  }

  refreshStanding(): void {
    this.standing
      .refresh(this.designId, this.id)
      .catch((err) => this.say(`The design's deployments could not be listed: ${(err as Error).message}`, true));
  }

  /** Whether design `designId` may be deployed now (the user may first replace its standing deployments). */
  mayDeploy(designId: number): Promise<boolean> {
    this.designId = designId;
    return this.standing.beforeDeploy(designId);
  }

  async deploy(designId: number, target: Target): Promise<DeployOut> {
    const out = await api.deploy(designId, target);
    this.id = out.id;
    return out;
  }

  /** Design `designId`'s latest deployment if it still stands (null: none), which becomes the one shown. */
  async latestStanding(designId: number): Promise<DeploymentOut | null> {
    this.designId = designId;
    this.refreshStanding();
    const latest = (await api.deployments(designId))[0];
    if (!latest || latest.state === "torn_down") return null;
    this.id = latest.id;
    return latest;
  }

  teardown(id: string | number): Promise<DeploymentOut> {
    return api.teardown(id);
  }

  /** Follows the stream at `path` from `cursor()` on, again after each dropped connection. */
  follow(
    path: string,
    cursor: () => string,
    message: (m: Message) => void,
    refused: (code: RefusalCloseCode) => void,
  ): void {
    this.stop();
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    this.unfollow = reconnecting({
      url: () => `${scheme}://${location.host}${path}?after=${cursor()}`,
      message: (data) => message(JSON.parse(data) as Message),
      refused,
    });
  }

  stop(): void {
    this.unfollow?.();
    this.unfollow = null;
  }

  /** Shows no deployment (another design was opened). */
  forget(): void {
    this.stop();
    this.id = null;
    this.designId = null;
  }
}
