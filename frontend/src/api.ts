/** The editor's endpoints of the site's HTTP API (docs/api.md), over the one HTTP client (http.ts). */
import type { components } from "./api/schema";
import { request as call, session, signIn } from "./http";
import type { Design } from "./model";
import type { MatrixJson } from "./matrix";

export { ApiError, type Session } from "./http";

/** The site's shapes, generated from its OpenAPI document (src/api/schema.d.ts, `npm run types`). */
type Wire = components["schemas"];

export type Example = Wire["ExampleOut"];
export type DesignSummary = Wire["DesignSummary"];
/** `design` is a free-form object on the wire (the site checks it on the way in): the editor's Design. */
export type DesignOut = Omit<Wire["DesignOut"], "design"> & { design: Design };
export type Allocation = Wire["ValidateOut"]["allocation"];
export type Validation = Wire["ValidateOut"];
export type NicFacts = Wire["NicFacts"];
export type HostFacts = Wire["HostFacts"];
/** `facts` is what the agent's last heartbeat said, a free-form object on the wire: its HostFacts. */
export type Agent = Omit<Wire["AgentOut"], "facts"> & { facts: HostFacts | null };
export type DeployOut = Wire["DeployStarted"];
/** `matrix` is a free-form object on the wire: the deployment's matrix (matrix.ts). */
export type DeploymentOut = Omit<Wire["DeploymentOut"], "matrix"> & { matrix: MatrixJson | null };

export const api = {
  session,
  signIn,
  signOut: () => call<void>("DELETE", "/api/session"),
  designs: () => call<DesignSummary[]>("GET", "/api/designs"),
  design: (id: number, version?: number) =>
    call<DesignOut>("GET", `/api/designs/${id}${version === undefined ? "" : `?version=${version}`}`),
  versions: (id: number) => call<Wire["VersionOut"][]>("GET", `/api/designs/${id}/versions`),
  updateYaml: (id: number, yaml: string) => call<DesignOut>("PUT", `/api/designs/${id}`, { yaml }),
  rename: (id: number, name: string) => call<DesignOut>("POST", `/api/designs/${id}/rename`, { name }),
  remove: (id: number) => call<void>("DELETE", `/api/designs/${id}`),
  create: (design: Design) => call<DesignOut>("POST", "/api/designs", { design }),
  createFromYaml: (yaml: string) => call<DesignOut>("POST", "/api/designs", { yaml }),
  examples: () => call<Example[]>("GET", "/api/examples"),
  update: (id: number, design: Design) => call<DesignOut>("PUT", `/api/designs/${id}`, { design }),
  /** `host`: for a Compose file, the host its containers run on. */
  import(file: File, host?: string): Promise<DesignOut> {
    const form = new FormData();
    form.append("file", file);
    return call<DesignOut>(
      "POST",
      `/api/designs/import${host === undefined ? "" : `?host=${encodeURIComponent(host)}`}`,
      form,
    );
  },
  export: (id: number, to: "yaml" | "sh" | "docker" | "compose", host?: string) =>
    call<string>(
      "GET",
      `/api/designs/${id}/export?to=${to}${host === undefined ? "" : `&host=${encodeURIComponent(host)}`}`,
    ),
  validate: (design: Design) => call<Validation>("POST", "/api/validate", { design }),
  predict: (design: Design) => call<MatrixJson>("POST", "/api/predict", { design }),
  agents: () => call<Agent[]>("GET", "/api/agents"),
  deploy: (id: number, target: { sandbox: true } | { agents: Record<string, string> }) =>
    call<DeployOut>("POST", `/api/designs/${id}/deploy`, target),
  deployments: (design: number) => call<DeploymentOut[]>("GET", `/api/deployments?design=${design}`),
  deployment: (id: number | string) => call<DeploymentOut>("GET", `/api/deployments/${id}`),
  teardown: (id: number | string) => call<DeploymentOut>("POST", `/api/deployments/${id}/teardown`),
};
